"""GTF: gradient transfer fusion by total-variation minimisation (Ma, Chen, Li & Huang 2016), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import matlab_uint8

__all__ = ["gtf", "l1_tv"]


def _dx(v: np.ndarray) -> np.ndarray:
    out = np.zeros_like(v)
    out[:, :-1] = v[:, 1:] - v[:, :-1]
    return out


def _dy(v: np.ndarray) -> np.ndarray:
    out = np.zeros_like(v)
    out[:-1] = v[1:] - v[:-1]
    return out


def _dyt(v: np.ndarray) -> np.ndarray:
    out = np.empty_like(v)
    out[0] = -v[0]
    out[1:-1] = v[:-2] - v[1:-1]
    out[-1] = v[-2]
    return out


def _dxt(v: np.ndarray) -> np.ndarray:
    return np.swapaxes(_dyt(np.swapaxes(v, 0, 1)), 0, 1)


def _threshold(values: np.ndarray, share: float, next_bin: bool) -> float:
    """The code's adaptive threshold: MATLAB ``hist`` over 1000 centres from min to max, the first
    centre whose cumulative share exceeds ``share`` (the next one for the fidelity weights)."""
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return hi
    centres = lo + (hi - lo) / 999 * np.arange(1000)
    edges = np.concatenate([[-np.inf], (centres[:-1] + centres[1:]) / 2, [np.inf]])
    counts = np.histogram(values, bins=edges)[0]
    pos = int(np.argmax(np.cumsum(counts) / counts.sum() > share))
    if next_bin or centres[pos] <= 0:
        return float(centres[min(pos + 1, 999)])
    return float(centres[pos])


def _pcg(apply, b: np.ndarray, x: np.ndarray, tol: float, maxit: int) -> tuple[np.ndarray, int]:
    """MATLAB's ``pcg`` without a preconditioner: conjugate gradients from ``x`` until
    ``‖r‖ ≤ tol ‖b‖``; the iterate of least residual when it does not converge. Returns (x, iterations)."""
    normb = np.linalg.norm(b)
    r = b - apply(x)
    if np.linalg.norm(r) <= tol * normb:
        return x, 0
    best, best_norm = x.copy(), np.linalg.norm(r)
    p = None
    rho = 1.0
    for it in range(1, maxit + 1):
        rho_old, rho = rho, float(np.vdot(r, r))
        p = r.copy() if p is None else r + (rho / rho_old) * p
        q = apply(p)
        alpha = rho / float(np.vdot(p, q))
        x = x + alpha * p
        r = r - alpha * q
        normr = np.linalg.norm(r)
        if normr <= tol * normb:
            return x, it
        if normr < best_norm:
            best, best_norm = x.copy(), normr
    return best, maxit


def l1_tv(s: np.ndarray, lam: float = 4.0, loops: int = 5, eps_f: float = 0.05, eps_r: float = 0.01,
          shrink: float = 5.0, maxit: int = 500) -> np.ndarray:
    """l1-TV denoising, ``min_U ‖U − S‖₁ + λ TV(U)`` (isotropic TV summed over the channels), by
    Rodríguez & Wohlberg's iteratively reweighted norm with the substitution variant and adaptive
    weight thresholds, as the code's ``irntv(S, {}, λ, irntvInputPars('l1tv'))`` that VIFB's GTF runs:
    5 reweightings from ``U = S``, each solved by conjugate gradients to a tolerance of the current
    relative residual divided by 5.

    Parameters
    ----------
    s : ndarray, float64, (H, W) or (H, W, C)
    lam : float, default 4
        The weight λ of the total variation.
    loops : int, default 5
    eps_f, eps_r : float, default 0.05, 0.01
        The shares below which the fidelity and regularisation weights are thresholded.
    shrink : float, default 5
        The CG tolerance is the current relative residual divided by this.
    maxit : int, default 500
        CG iterations at most per reweighting.

    Returns
    -------
    ndarray, float64, the shape of ``s``

    References
    ----------
    P. Rodríguez, B. Wohlberg, "Efficient minimization method for a generalized total variation
    functional", IEEE TIP 18(2), 2009; the NUMIPAD toolbox's ``irntv.m``.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.zeros((32, 32)); s[8:24, 8:24] = 1.0; s[3, 3] = 1.0  # a square and one outlier
    >>> u = l1_tv(s, lam=1.0)
    >>> round(float(u[3, 3]), 1), round(float(u[16, 16]), 2)  # l1-TV removes the dot, keeps the square
    (0.0, 1.0)
    """
    s3 = np.asarray(s, np.float64)
    grey = s3.ndim == 2
    s3 = s3[..., None] if grey else s3
    u = s3.copy()

    def operator(v: np.ndarray, wf: np.ndarray, wr: np.ndarray) -> np.ndarray:
        out = v.copy()
        for c in range(v.shape[2]):
            wv = wf[..., c] * v[..., c]
            out[..., c] += lam * wf[..., c] * (_dxt(wr * _dx(wv)) + _dyt(wr * _dy(wv)))
        return out

    for k in range(loops):
        if k == 0 and np.abs(u - s3).sum() < 0.05 / (s3.shape[0] * s3.shape[1]):
            wf = 2 * 0.1**0.5 * np.ones_like(u)
        else:
            absx = np.abs(u - s3)
            eps = _threshold(absx.ravel(order="F"), eps_f, next_bin=True)
            wf = np.sqrt(0.5) * np.where(absx >= eps, absx, eps) ** 0.5
        grad2 = sum(_dx(u[..., c]) ** 2 + _dy(u[..., c]) ** 2 for c in range(u.shape[2]))
        eps = _threshold(np.abs(grad2).ravel(order="F"), eps_r, next_bin=False)
        wr = 2.0 * np.where(grad2 >= eps, grad2, eps) ** -0.5
        b = s3 / wf
        v = u / wf
        apply = lambda x: operator(x, wf, wr)  # noqa: E731
        relres = np.linalg.norm(apply(v) - b) / np.linalg.norm(b)
        v, iterations = _pcg(apply, b, v, relres / shrink, maxit)
        u = wf * v
        if iterations == 0:
            break
    return u[..., 0] if grey else u


@register_method(
    "gtf",
    tasks=("ivif",),
    family="optimisation",
    colour=True,
    max_sources=2,
    reference="Ma, Chen, Li & Huang, 'Infrared and visible image fusion via gradient transfer and total "
              "variation minimization', Information Fusion 31, 2016 (VIFB's GTF)",
    ranges={"lam": (1e-3, 1e3)},
)
def gtf(images: Sequence[np.ndarray], *, lam: float = 4.0) -> np.ndarray:
    """GTF: keep the infrared intensities and the visible gradients, ``min_X ‖X − IR‖₁ + λ ‖∇X − ∇VI‖₁``.

    With ``U = X − VI`` this is l1-TV denoising of ``IR − VI`` (:func:`l1_tv`, λ = 4, the code's
    iteratively reweighted solver and its stopping rules); ``X = U + VI``, rounded to 8 bits as the
    code's ``im2uint8`` (Ma et al. 2016, eqs. 3–6; VIFB's ``methods/GTF/run_GTF.m``). Colour as VIFB
    feeds it: the RGB channels are solved together (the total variation sums the channels' squared
    gradients), a grey infrared image replicated.

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.
    lam : float, default 4
        λ, the weight of the visible gradients.

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1] (multiples of 1/255)

    References
    ----------
    J. Ma, C. Chen, C. Li, J. Huang, Information Fusion 31, 100–109, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((32, 32), np.float32); ir[8:24, 8:24] = 0.8  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 32, dtype=np.float32), (32, 1))
    >>> out = gtf([ir, vi])
    >>> out.shape, bool(out[16, 16] > out[2, 16])  # the target is kept
    ((32, 32), True)
    """
    ir, vi = (np.asarray(im, np.float64) for im in images)
    fused = l1_tv(ir - vi, float(lam)) + vi
    return (matlab_uint8(fused * 255) / 255).astype(np.float32)  # the code's im2uint8
