"""NSCT-SR: nonsubsampled contourlet transform with sparse representation of the low-pass band (Liu, Liu
& Wang, Information Fusion 2015), as VIFB runs it; and the nonsubsampled contourlet transform itself.

The transform is a port of the NSCT toolbox VIFB ships (da Cunha, Zhou & Do, "The nonsubsampled
contourlet transform: theory, design, and applications", IEEE TIP 15(10), 2006; ``nsctdec.m``,
``nsctrec.m``, ``nsfbdec.m``, ``nssfbdec.m``, ``atrousc.c``, ``zconv2.c``, ``symext.m``, ``efilter2.m``),
with the two filter sets VIFB's NSCT-SR uses: the pyramid filters ``'pyrexc'`` and the directional
filters ``'vk'`` (McClellan-transformed 1-D filters of Vetterli & Kovačević's book).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..registry import register_method
from ._common import matlab_uint8, vifb_channels
from .lp_sr import select_consistent_max, sparse_codes, sparse_fusion, sr_dictionary

__all__ = ["nsct_decompose", "nsct_filters", "nsct_reconstruct", "nsct_sr"]


def _mirror4(q: np.ndarray) -> np.ndarray:
    """A quarter (top-left, centre last) mirrored into the full symmetric filter, as atrousfilters.m does."""
    q = np.hstack([q, q[:, -2::-1]])
    return np.vstack([q, q[-2::-1]])


def _mcclellan(h1d: Sequence[float]) -> np.ndarray:
    """MATLAB's ``ftrans2(h, t)`` for a symmetric odd 1-D filter and the diamond kernel
    ``t = [0 1 0; 1 0 1; 0 1 0]/4``: ``Σ a_n T_n(t)``, Chebyshev recursion in 2-D convolutions."""
    from scipy.signal import convolve2d

    h = np.asarray(h1d, np.float64)
    n = (h.size - 1) // 2
    a = np.concatenate([[h[n]], 2 * h[n + 1:]])
    t = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.float64) / 4
    size = 2 * n + 1

    def centred(p: np.ndarray) -> np.ndarray:
        out = np.zeros((size, size))
        o = (size - p.shape[0]) // 2
        out[o:o + p.shape[0], o:o + p.shape[1]] = p
        return out

    p0, p1 = np.ones((1, 1)), t
    total = a[0] * centred(p0) + (a[1] * centred(p1) if n >= 1 else 0)
    for k in range(2, n + 1):
        p2 = 2 * convolve2d(t, p1) - np.pad(p0, (p1.shape[0] + 2 - p0.shape[0]) // 2)
        total = total + a[k] * centred(p2)
        p0, p1 = p1, p2
    return total


def _modulate_columns(h: np.ndarray) -> np.ndarray:
    """``modulate2(h, 'c')``: columns times (−1)^(n − centre)."""
    n = np.arange(h.shape[1]) - (h.shape[1] // 2)
    return h * ((-1.0) ** n)[None, :]


@lru_cache(maxsize=1)
def nsct_filters() -> dict[str, np.ndarray]:
    """The NSCT filters of VIFB's NSCT-SR: pyramid ``'pyrexc'`` and directional ``'vk'``.

    Returns
    -------
    dict of str → ndarray, float64
        ``h0``, ``h1`` (5×5 pyramid analysis low/high pass), ``g0``, ``g1`` (7×7 synthesis);
        ``k1_d``, ``k2_d`` (3×3 and 5×5 fan analysis filters), ``k1_r``, ``k2_r`` (5×5 and 3×3 synthesis):
        the diamond filters of ``dfilters('vk')`` divided by √2 and modulated along the columns, as
        ``nsctdec.m`` builds them.

    References
    ----------
    NSCT toolbox ``atrousfilters.m`` (case ``'pyrexc'``), ``dfilters.m`` (case ``'vk'``), ``nsctdec.m``.

    Examples
    --------
    >>> f = nsct_filters()
    >>> f["h0"].shape, f["g1"].shape, round(float(f["h0"].sum()), 6)  # the low pass keeps the mean
    ((5, 5), (7, 7), 1.0)
    """
    h0 = _mirror4(np.array([[-0.003236043456039806, -0.012944173824159223, -0.019416260736238835],
                            [-0.012944173824159223, 0.0625, 0.15088834764831843],
                            [-0.019416260736238835, 0.15088834764831843, 0.3406092167691145]]))
    h1 = _mirror4(np.array([[-0.003236043456039806, -0.012944173824159223, -0.019416260736238835],
                            [-0.012944173824159223, -0.0625, -0.09911165235168155],
                            [-0.019416260736238835, -0.09911165235168155, 0.8406092167691145]]))
    g0 = _mirror4(np.array([[-0.00016755163599004882, -0.001005309815940293, -0.002513274539850732, -0.003351032719800976],
                            [-0.001005309815940293, -0.005246663087920392, -0.01193886400821893, -0.015395021472477663],
                            [-0.002513274539850732, -0.01193886400821893, 0.06769410071569153, 0.15423938036811946],
                            [-0.003351032719800976, -0.015395021472477663, 0.15423938036811946, 0.3325667382415921]]))
    g1 = _mirror4(np.array([[0.00016755163599004882, 0.001005309815940293, 0.002513274539850732, 0.003351032719800976],
                            [0.001005309815940293, -0.0012254238241592198, -0.013949483640099517, -0.023437500000000007],
                            [0.002513274539850732, -0.013949483640099517, -0.06769410071569153, -0.10246268507148255],
                            [0.003351032719800976, -0.023437500000000007, -0.10246268507148255, 0.8486516952966369]]))
    # dfilters('vk'): decomposition [1 2 1]/4, [-1 -2 6 -2 -1]/4; reconstruction [-1 2 6 2 -1]/4, [-1 2 -1]/4
    s = np.sqrt(2.0)
    k_d = [_modulate_columns(_mcclellan(np.array(h) / 4) / s) for h in ([1, 2, 1], [-1, -2, 6, -2, -1])]
    k_r = [_modulate_columns(_mcclellan(np.array(h) / 4) / s) for h in ([-1, 2, 6, 2, -1], [-1, 2, -1])]
    return {"h0": h0, "h1": h1, "g0": g0, "g1": g1, "k1_d": k_d[0], "k2_d": k_d[1], "k1_r": k_r[0], "k2_r": k_r[1]}


def _symext(x: np.ndarray, p: int, q: int, shift: tuple[int, int]) -> np.ndarray:
    """``symext.m``: symmetric extension of ``x`` for a p×q filter and a shift, to (m + p − 1, n + q − 1)
    (the toolbox extends the columns by p and the rows by q; the filters here are square)."""
    m, n = x.shape
    ss = p // 2 - shift[0] + 1
    rr = q // 2 - shift[1] + 1
    if ss > n or rr > m or p + shift[0] > n or q + shift[1] > m:
        from ..errors import InvalidImageError

        raise InvalidImageError(f"image of {m}×{n} pixels is too small for the NSCT's {p}×{q} filters")
    cols = np.concatenate([np.arange(ss - 1, -1, -1), np.arange(n), np.arange(n - 1, n - p - shift[0] - 1, -1)])
    rows = np.concatenate([np.arange(rr - 1, -1, -1), np.arange(m), np.arange(m - 1, m - q - shift[1] - 1, -1)])
    return x[np.ix_(rows, cols)][:m + p - 1, :n + q - 1]


def _atrous(x: np.ndarray, h: np.ndarray, level: int) -> np.ndarray:
    """One two-channel pyramid filter at ``level`` (``nsfbdec.m``/``nsfbrec.m``): symmetric extension,
    then the filter dilated by 2^level (``conv2 'valid'`` at level 0, ``atrousc.c`` above)."""
    p, q = h.shape
    step = 2 ** level
    shift = (1, 1) if level == 0 else (2 - step // 2, 2 - step // 2)
    ext = _symext(x, p * step, q * step, shift)  # upsample2df's size; at level 0 the filter's own
    m, n = x.shape
    start = step - 1  # atrousc.c's first tap; 0 at level 0 (conv2 'valid')
    out = np.zeros((m, n))
    for i in range(p):
        for j in range(q):
            c = h[p - 1 - i, q - 1 - j]
            if c:
                r0, c0 = start + i * step, start + j * step
                out += c * ext[r0:r0 + m, c0:c0 + n]
    return out


def _zconv(x: np.ndarray, f: np.ndarray, mup: tuple[int, int, int, int] = (1, 0, 0, 1)) -> np.ndarray:
    """``zconv2.c`` (and ``efilter2.m`` for the identity): periodic convolution of ``x`` with ``f``
    upsampled by the matrix ``[[M0, M2], [M1, M3]]`` (MATLAB's column-major ``M[0..3]``)."""
    m0, m1, m2, m3 = mup
    fr, fc = f.shape
    new_cols = (m0 - 1) * (fc - 1) + m2 * (fr - 1) + fc - 1
    new_rows = (m3 - 1) * (fr - 1) + m1 * (fc - 1) + fr - 1
    s_col, s_row = int(new_cols / 2), int(new_rows / 2)  # C's truncating division
    out = np.zeros_like(x, dtype=np.float64)
    for l1 in range(fc):
        for l2 in range(fr):
            c = f[l2, l1]
            if c:
                dr = s_row - (l1 * m1 + l2 * m3)
                dc = s_col - (l1 * m0 + l2 * m2)
                out += c * np.roll(x, (-dr, -dc), axis=(0, 1))
    return out


_Q1 = (1, 1, -1, 1)  # q1 = [1 -1; 1 1], column-major


def _dfb_decompose(x: np.ndarray, levels: int, f: dict[str, np.ndarray]) -> list[np.ndarray]:
    if levels == 0:
        return [x]
    x1, x2 = _zconv(x, f["k1_d"]), _zconv(x, f["k2_d"])
    if levels == 1:
        return [x1, x2]
    return [_zconv(x1, f["k1_d"], _Q1), _zconv(x1, f["k2_d"], _Q1), _zconv(x2, f["k1_d"], _Q1), _zconv(x2, f["k2_d"], _Q1)]


def _dfb_reconstruct(bands: list[np.ndarray], f: dict[str, np.ndarray]) -> np.ndarray:
    if len(bands) == 1:
        return bands[0]
    if len(bands) == 2:
        return _zconv(bands[0], f["k1_r"]) + _zconv(bands[1], f["k2_r"])
    y1 = _zconv(bands[0], f["k1_r"], _Q1) + _zconv(bands[1], f["k2_r"], _Q1)
    y2 = _zconv(bands[2], f["k1_r"], _Q1) + _zconv(bands[3], f["k2_r"], _Q1)
    return _zconv(y1, f["k1_r"]) + _zconv(y2, f["k2_r"])


def nsct_decompose(image: np.ndarray, levels: Sequence[int] = (2,)) -> list:
    """Nonsubsampled contourlet transform (``nsctdec.m`` with ``'vk'`` and ``'pyrexc'``).

    Parameters
    ----------
    image : ndarray, (H, W), float
        Larger than the filters (at least 8 × 2^(pyramid levels − 1) pixels on each side).
    levels : sequence of int, each 0, 1 or 2, default (2,)
        Directional levels per pyramid level, coarsest first (``nsctdec``'s ``levels``): 2^l directional
        subbands per level (0: the band undivided). Three or more directional levels need the toolbox's
        parallelogram filters (``parafilters.m``, ``resampz.m``), not ported: VIFB's NSCT-SR uses ``[2]``.

    Returns
    -------
    list
        ``[low, band_1, ..., band_L]``, coarsest pyramid level first; ``low`` an (H, W) array, each band a
        list of 2^l arrays (H, W) (nonsubsampled: every coefficient array has the image's size), float64.

    Raises
    ------
    ParameterError
        A directional level outside 0–2.
    InvalidImageError
        The image is smaller than the filters.

    References
    ----------
    A. L. da Cunha, J. Zhou, M. N. Do, IEEE TIP 15(10), 2006; the NSCT toolbox in VIFB's
    ``methods/NSCT_SR/nsct_toolbox``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((32, 40))
    >>> c = nsct_decompose(x, [2])
    >>> len(c), len(c[1]), c[1][0].shape
    (2, 4, (32, 40))
    >>> bool(np.allclose(nsct_reconstruct(c), x))  # perfect reconstruction
    True
    """
    levels = [int(v) for v in levels]
    if any(v < 0 or v > 2 for v in levels):
        from ..errors import ParameterError

        raise ParameterError(f"NSCT directional levels must be 0, 1 or 2 (3+ are not ported), got {levels}")
    f = nsct_filters()
    x = np.asarray(image, np.float64)
    out: list = [None] * (len(levels) + 1)
    for i in range(len(levels)):
        low, high = _atrous(x, f["h0"], i), _atrous(x, f["h1"], i)
        out[len(levels) - i] = _dfb_decompose(high, levels[len(levels) - 1 - i], f)
        x = low
    out[0] = x
    return out


def nsct_reconstruct(coeffs: list) -> np.ndarray:
    """Inverse of :func:`nsct_decompose` (``nsctrec.m``).

    Parameters
    ----------
    coeffs : list
        As :func:`nsct_decompose` returns it.

    Returns
    -------
    ndarray, float64, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).random((24, 24))
    >>> bool(np.allclose(nsct_reconstruct(nsct_decompose(x, [1, 2])), x))
    True
    """
    f = nsct_filters()
    x = np.asarray(coeffs[0], np.float64)
    n = len(coeffs) - 1
    for i in range(n):
        high = _dfb_reconstruct(list(coeffs[i + 1]), f)
        level = n - 1 - i
        x = _atrous(x, f["g0"], level) + _atrous(high, f["g1"], level)
    return x


def _nsct_sr_pair(ir_parts: tuple, vi: np.ndarray, levels: Sequence[int], overlap: int, epsilon: float) -> np.ndarray:
    c_ir, ir_codes = ir_parts
    c_vi = nsct_decompose(vi, levels)
    fused: list = [sparse_fusion(c_ir[0], c_vi[0], sr_dictionary(), overlap, epsilon, a_codes=ir_codes)]
    for b_ir, b_vi in zip(c_ir[1:], c_vi[1:]):
        fused.append([select_consistent_max(a, b) for a, b in zip(b_ir, b_vi)])
    return matlab_uint8(nsct_reconstruct(fused))


@register_method(
    "nsct-sr",
    tasks=("ivif",),
    family="transform",
    colour=True,
    max_sources=2,
    reference="Liu, Liu & Wang, 'A general framework for image fusion based on multi-scale transform and "
              "sparse representation', Information Fusion 24, 2015 (VIFB's NSCT_SR); da Cunha, Zhou & Do, IEEE TIP "
              "15(10), 2006 (the NSCT)",
    ranges={"levels": (0, 2), "overlap": (0, 7), "epsilon": (1e-6, 1e3)},
)
def nsct_sr(images: Sequence[np.ndarray], *, levels: Sequence[int] = (2,), overlap: int = 6,
            epsilon: float = 0.1) -> np.ndarray:
    """NSCT-SR: nonsubsampled contourlet transform; directional subbands by the consistent max-abs rule,
    the low-pass band by sparse representation.

    :func:`nsct_decompose` of each source (VIFB's setting: one pyramid level, four directions; filters
    ``'pyrexc'`` and ``'vk'``); every directional subband fused by
    :func:`~imagefusion.methods.lp_sr.select_consistent_max` (3×3 max of magnitudes, 3×3 majority; the
    infrared coefficient where it wins); the low-pass band — full resolution, the transform does not
    subsample — by :func:`~imagefusion.methods.lp_sr.sparse_fusion` over the project's dictionary
    (8×8 patches, overlap 6, ε = 0.1); :func:`nsct_reconstruct`, rounded to 8 bits (Liu, Liu & Wang 2015;
    VIFB's ``methods/NSCT_SR/nsct_sr_fuse.m``). The paper's and VIFB's dictionary is their K-SVD one;
    ours is learned by the project, so the low-pass band differs a little
    (``benchmarks/measure/vifb_reference.py`` measures it).

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    The slowest of the ports, as VIFB's is (its paper reports about 95 s per pair): the low-pass band keeps
    every pixel, so about (H/2)·(W/2) patches per source and channel are sparse-coded, most with 30–60
    atoms — about 5 s per grey 640×480 pair and 9 s per colour one on 2 CPU cores
    (``benchmarks/measure/nsct_sr_speed.py``).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible; at least 16 pixels on each side.
    levels : sequence of int, default (2,)
        Directional levels per pyramid level, coarsest first (see :func:`nsct_decompose`).
    overlap : int, default 6
        Overlap of the 8×8 patches, pixels.
    epsilon : float, default 0.1
        OMP's residual bound, grey levels.

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1] (multiples of 1/255)

    Raises
    ------
    ParameterError
        A directional level outside 0–2.
    InvalidImageError
        Images smaller than the transform's filters.

    References
    ----------
    Y. Liu, S. Liu, Z. Wang, Information Fusion 24, 147–164, 2015; A. L. da Cunha, J. Zhou, M. N. Do,
    IEEE TIP 15(10), 3089–3101, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.round(np.random.default_rng(0).random((32, 32)) * 255).astype(np.float32) / 255
    >>> out = nsct_sr([a, a])
    >>> out.shape, round(float(np.abs(out - a).max()) * 255, 2) <= 1.0
    ((32, 32), True)
    """
    lv = [int(v) for v in levels]

    def prepare_ir(ir: np.ndarray) -> tuple:  # its transform and low-pass codes: once for a grey infrared image
        c_ir = nsct_decompose(ir, lv)
        return c_ir, sparse_codes(c_ir[0], sr_dictionary(), int(overlap), float(epsilon))

    return vifb_channels(lambda ir_parts, vi: _nsct_sr_pair(ir_parts, vi, lv, int(overlap), float(epsilon)), images,
                         prepare_ir=prepare_ir)
