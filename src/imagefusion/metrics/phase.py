"""Phase-congruency metric Q_P (Zhao, Laganière & Liu) and the phase congruency it is built on."""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np
import scipy.fft

from ._conventions import DEFAULT_CONVENTION, per_channel
from ._prep import prepare
from .registry import register_metric

__all__ = ["phase_congruency", "qp"]

_EPS = 1e-4  # Kovesi's epsilon against division by zero


@lru_cache(maxsize=8)
def _log_gabor_bank(
    rows: int, cols: int, nscale: int, norient: int, min_wavelength: float, mult: float,
    sigma_onf: float, d_theta_on_sigma: float,
):
    """Frequency-domain log-Gabor filters (nscale, norient, rows, cols) and, per orientation, the
    noise-model constants that depend only on the filters: EM_n (Σ filter² at the finest scale),
    Σ_s f_s² and Σ_{i<j} f_i f_j of the spatial filters ``real(ifft2(filter))·sqrt(rows·cols)``."""
    def axis(n: int) -> np.ndarray:
        if n % 2:
            return np.arange(-(n - 1) / 2, (n - 1) / 2 + 1) / (n - 1)
        return np.arange(-n / 2, n / 2) / n

    x, y = np.meshgrid(axis(cols), axis(rows))
    radius = np.sqrt(x * x + y * y)
    radius[rows // 2, cols // 2] = 1.0
    theta = np.arctan2(-y, x)
    radius = np.fft.ifftshift(radius)
    theta = np.fft.ifftshift(theta)
    sin_t, cos_t = np.sin(theta), np.cos(theta)

    # Kovesi's low-pass (radius 0.45, order 15); his lowpassfilter uses fftshift, kept as is.
    lx = (np.arange(1, cols + 1) - (cols // 2 + 1)) / cols
    ly = (np.arange(1, rows + 1) - (rows // 2 + 1)) / rows
    lr = np.sqrt(lx[None, :] ** 2 + ly[:, None] ** 2)
    lowpass = np.fft.fftshift(1.0 / (1.0 + (lr / 0.45) ** 30))

    radial = []
    for s in range(nscale):
        fo = 1.0 / (min_wavelength * mult ** s)
        lg = np.exp(-(np.log(radius / fo) ** 2) / (2 * np.log(sigma_onf) ** 2)) * lowpass
        lg[0, 0] = 0.0
        radial.append(lg)
    theta_sigma = np.pi / norient / d_theta_on_sigma
    bank = np.empty((nscale, norient, rows, cols))
    noise = []
    for o in range(norient):
        angle = o * np.pi / norient
        ds = sin_t * np.cos(angle) - cos_t * np.sin(angle)
        dc = cos_t * np.cos(angle) + sin_t * np.sin(angle)
        spread = np.exp(-(np.abs(np.arctan2(ds, dc)) ** 2) / (2 * theta_sigma ** 2))
        for s in range(nscale):
            bank[s, o] = radial[s] * spread
        spatial = scipy.fft.ifft2(bank[:, o], axes=(-2, -1), workers=-1).real * np.sqrt(rows * cols)
        sum_an2 = float(np.sum(spatial ** 2))
        total = spatial.sum(axis=0)
        sum_aiaj = (float(np.sum(total ** 2)) - sum_an2) / 2.0
        noise.append((float(np.sum(bank[0, o] ** 2)), sum_an2, sum_aiaj))
    bank.setflags(write=False)
    return bank, tuple(noise)


def phase_congruency(
    image: np.ndarray,
    *,
    nscale: int = 4,
    norient: int = 6,
    min_wavelength: float = 3.0,
    mult: float = 2.1,
    sigma_onf: float = 0.55,
    d_theta_on_sigma: float = 1.2,
    k: float = 2.0,
    cutoff: float = 0.5,
    g: float = 10.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Phase congruency PC_2 with its covariance moments (Kovesi, "Image features from phase
    congruency", Videre 1(3), 1999; "Phase congruency detects corners and edges", DICTA 2003), as
    Z. Liu's ``myphasecong3.m`` (Kovesi's ``phasecong3`` revised) used by Q_P.

    Log-Gabor filters (``nscale`` scales from ``min_wavelength`` by ``mult``, ``norient``
    orientations), applied through the FFT; per orientation the energy
    ``Σ_s E·Ē + O·Ō − |E·Ō − O·Ē|`` minus a noise threshold estimated from the median response at the
    finest scale (Rayleigh model, ``k`` standard deviations, divided by 1.7), weighted by a sigmoid of
    the frequency spread (``cutoff``, ``g``). Kept from the reference: the phase congruency returned is
    the total weighted energy over the total amplitude (not the per-orientation mean), the orientation
    is the index of the orientation with the largest weighted energy times 180/norient, and the
    low-pass filter's grid uses ``fftshift`` (which differs from ``ifftshift`` for odd sizes).

    Parameters
    ----------
    image : ndarray, (H, W), float
        Any value range; the reference code gets 0–255.
    nscale, norient, min_wavelength, mult, sigma_onf, d_theta_on_sigma, k, cutoff, g
        Kovesi's defaults.

    Returns
    -------
    pc : ndarray, (H, W), float64, in [0, 1]
        Phase congruency.
    orientation : ndarray, (H, W), float64
        Degrees, multiples of 180/norient in [0, 180).
    M, m : ndarray, (H, W), float64
        Maximum and minimum moments of the phase-congruency covariance (edge and corner strength).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((64, 64)); img[:, 16:48] = 1.0  # a bright bar: a step edge between columns 15 and 16
    >>> pc = phase_congruency(img)[0]
    >>> [round(float(v), 3) for v in pc[32, 14:18]], round(float(pc[32, 32]), 3)  # at the edge, not inside
    ([0.155, 0.697, 0.697, 0.155], 0.0)
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"phase_congruency takes a 2-D image, got shape {x.shape}")
    rows, cols = x.shape
    bank, noise = _log_gabor_bank(rows, cols, nscale, norient, float(min_wavelength), float(mult),
                                  float(sigma_onf), float(d_theta_on_sigma))
    from ._kernels import energy_median, filter_spectra, orientation_energy  # numba: only when a compiled metric runs

    spectrum = scipy.fft.fft2(x, workers=-1)
    spectrum_parts = spectrum.view(np.float64)
    total_energy = np.zeros_like(x)
    total_sum_an = np.zeros_like(x)
    orientation = np.zeros_like(x)
    max_energy = np.zeros_like(x)
    covx2 = np.zeros_like(x)
    covy2 = np.zeros_like(x)
    covxy = np.zeros_like(x)
    scratch = np.empty((7, cols))
    eo = np.empty((nscale, rows, cols), dtype=np.complex128)  # the filter responses, reused per orientation
    for o in range(norient):
        # one thread per FFT: evaluate() already runs the metrics and the RGB channels in parallel
        filter_spectra(spectrum_parts, bank[:, o], eo.view(np.float64))
        eo = scipy.fft.ifft2(eo, axes=(-2, -1), workers=1, overwrite_x=True)  # in place: no new pages
        em_n, sum_an2, sum_aiaj = noise[o]
        median_e2n = float(np.mean(energy_median(eo[0].view(np.float64))))  # np.median of |E|² at the finest scale
        noise_power = (-median_e2n / np.log(0.5)) / em_n
        tau = np.sqrt((2 * noise_power * sum_an2 + 4 * noise_power * sum_aiaj) / 2)
        threshold = (tau * np.sqrt(np.pi / 2) + k * np.sqrt((2 - np.pi / 2) * tau * tau)) / 1.7
        angle = o * np.pi / norient
        orientation_energy(eo.view(np.float64), float(threshold), float(cutoff), float(g), o, math.cos(angle),
                           math.sin(angle), total_energy, total_sum_an, orientation, max_energy, covx2, covy2,
                           covxy, scratch)

    pc = total_energy / (total_sum_an + _EPS)
    covx2 /= norient / 2
    covy2 /= norient / 2
    covxy /= norient
    denom = np.sqrt(covxy ** 2 + (covx2 - covy2) ** 2) + _EPS
    big_m = (covy2 + covx2 + denom) / 2
    small_m = (covy2 + covx2 - denom) / 2
    return pc, orientation * (180.0 / norient), big_m, small_m


def _gauss_same(x: np.ndarray) -> np.ndarray:
    """``filter2(fspecial('gaussian', 11, 1.5), x, 'same')`` (zero padding)."""
    from .structural import _W11

    return cv2.sepFilter2D(x, cv2.CV_64F, _W11, _W11, borderType=cv2.BORDER_CONSTANT)


def _source_side(f1, f2, fmax, m1, m2, m3) -> tuple[np.ndarray, ...]:
    """What :func:`_pc_correlation` needs of the sources' maps alone: for the three maps (source 1,
    source 2, their max-PC composite), stacked (3, H, W): the masked maps, their local means and
    variances, and their masks."""
    feats, mus, variances = [], [], []
    for feat in (f1 * m1, f2 * m2, fmax * m3):
        mu = _gauss_same(feat)
        feats.append(feat)
        mus.append(mu)
        variances.append(_gauss_same(feat * feat) - mu * mu)
    return np.stack(feats), np.stack(mus), np.stack(variances), np.stack((m1, m2, m3))


def _pc_correlation(side, ff, m3) -> float:
    """Zhao et al.'s masked local correlation of one feature map: per pixel, the largest of the
    fused map's correlation with source 1, source 2 and their max-PC composite (each only where that
    map's PC exceeds the threshold, else 0), summed and divided by the composite's feature count.
    ``side`` is :func:`_source_side` of the three maps."""
    from ._kernels import best_masked_correlation

    feats, mus, variances, masks = side
    mu_f = _gauss_same(ff)
    var_f = _gauss_same(ff * ff) - mu_f * mu_f
    cross = np.stack([_gauss_same(feat * ff) for feat in feats])
    best = np.empty_like(ff)
    best_masked_correlation(cross, mus, variances, masks, mu_f, var_f, 1e-4, best)
    count = int(m3.sum())
    return float(best.sum() / count) if count else 0.0


def _pair_side(a: np.ndarray, b: np.ndarray) -> tuple:
    """The sources' half of Q_P for one pair: their masks and :func:`_source_side` of the three
    feature maps (phase congruency, maximum and minimum moment). Depends on the sources only, so a
    bench that scores many fused images of one pair computes it once."""
    from ._cache import cached

    pc1, _, big1, small1 = cached("phase_congruency", a, phase_congruency)
    pc2, _, big2, small2 = cached("phase_congruency", b, phase_congruency)
    take1 = pc1 > pc2
    pc_max = np.where(take1, pc1, pc2)
    threshold = 0.1
    m1, m2, m3 = pc1 > threshold, pc2 > threshold, pc_max > threshold
    sides = [_source_side(pc1, pc2, pc_max, m1, m2, m3),
             _source_side(big1, big2, np.where(take1, big1, big2), m1, m2, m3),
             _source_side(small1, small2, np.where(take1, small1, small2), m1, m2, m3)]
    return m3, sides


def _qp_core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
    from ._cache import cached_pair

    m3, sides = cached_pair("qp_pair", a, b, _pair_side)
    pcf, _, bigf, smallf = phase_congruency(f)
    p = _pc_correlation(sides[0], pcf, m3)
    big = _pc_correlation(sides[1], bigf, m3)
    small = _pc_correlation(sides[2], smallf, m3)
    return p * big * small


@register_metric('qp', higher_is_better=True, value_range=(0.0, 1.0), reference='Zhao, Laganiere & Liu, IJICIC 2007', sources=2, cost=120)
def qp(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Phase-congruency fusion metric Q_P (Zhao, Laganière & Liu, "Performance assessment of
    combinative pixel-level image fusion based on an absolute feature measurement", Int. J. Innov.
    Comput. Inf. Control 3(6A), 2007, eqs. 9–12), higher is better.

    Three feature maps per image from :func:`phase_congruency` (phase congruency P, maximum moment
    M, minimum moment m). For each, the local correlation (11×11 Gaussian window, σ = 1.5, zero
    padding, C = 1e-4) of the fused map with source A's, source B's and the max-PC composite's map,
    each counted only where that map's phase congruency exceeds 0.1; per pixel the largest of the
    three, summed over the image and divided by the composite's number of feature pixels.
    ``Q_P = P_P · P_M · P_m``. As Z. Liu's ``metricZhao.m`` in MEFB's ``metricsQp.m``: values 0–255;
    vifb/mefb: per RGB channel, averaged (grey sources with an RGB fused image: its first channel,
    mefb); cddfuse (which has no Q_P): on the grey conversions.

    Parameters
    ----------
    *images : ndarray
        Two sources then the fused image: ``qp(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, about [0, 1]. Even a fused image equal to both (identical) sources scores below 1
    (0.92 on a textured test image): the reference masks the source maps at PC > 0.1 but correlates
    them with the unmasked fused map.

    Raises
    ------
    InvalidImageError
        Not exactly two sources.

    References
    ----------
    Zhao, Laganiere & Liu, IJICIC 2007.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qp(a, b, (a + b) / 2), 4)
    0.3277
    """
    sources, fused, convention = prepare(images, convention, two_sources="Q_P")
    return per_channel(_qp_core, sources, fused, convention)
