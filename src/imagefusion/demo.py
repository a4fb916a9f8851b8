"""``imagefusion demo``: fuse a synthetic multi-focus and multi-exposure pair built from
scikit-image's bundled sample images, with no data from the user."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np

from .fusion import fuse
from .io import write_bytes_atomic, write_image

__all__ = ["make_multifocus_pair", "make_multiexposure_pair", "run_demo", "DEMO_TASKS"]

#: The task of each demo pair: each is fused with its task's default method
#: (:func:`imagefusion.ranking.default_method`), as ``imagefusion fuse`` would.
DEMO_TASKS = {"multi-focus": "mff", "multi-exposure": "mef"}


def make_multifocus_pair(image: np.ndarray, sigma: float = 3.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build a multi-focus pair: the centre disc blurred in one source, the surround in the other.

    Parameters
    ----------
    image : ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]
    sigma : float
        Standard deviation of the Gaussian defocus blur, in pixels.

    Returns
    -------
    near, far : ndarray, float32, same shape as ``image``
        ``near`` is sharp inside the disc, ``far`` outside it.
    mask : ndarray, bool, shape (H, W)
        True inside the disc (where ``near`` is in focus).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> near, far, mask = make_multifocus_pair(img)
    >>> bool(np.array_equal(near[mask], img[mask])), bool(np.array_equal(far[~mask], img[~mask]))
    (True, True)
    """
    h, w = image.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    mask = (yy - h * 0.45) ** 2 + (xx - w * 0.5) ** 2 < (0.3 * min(h, w)) ** 2
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    m = mask[..., None] if image.ndim == 3 else mask
    near = np.where(m, image, blurred).astype(np.float32)
    far = np.where(m, blurred, image).astype(np.float32)
    return near, far, mask


def make_multiexposure_pair(image: np.ndarray, stops: float = 2.0, gamma: float = 2.2) -> tuple[np.ndarray, np.ndarray]:
    """Build an under- and an over-exposed copy of an image (± ``stops`` EV in linear light).

    Parameters
    ----------
    image : ndarray, float32, values in [0, 1]
        A display-referred (gamma-encoded) image.
    stops : float
        Exposure change in EV; the sensor clips at 1.
    gamma : float
        Display gamma used to go to linear light and back.

    Returns
    -------
    under, over : ndarray, float32, same shape, values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> under, over = make_multiexposure_pair(np.full((2, 2), 0.5, np.float32))
    >>> round(float(under[0, 0]), 3), round(float(over[0, 0]), 3)
    (0.266, 0.939)
    """
    linear = np.power(image, gamma)
    under = np.power(np.clip(linear * 2.0 ** -stops, 0, 1), 1 / gamma)
    over = np.power(np.clip(linear * 2.0 ** stops, 0, 1), 1 / gamma)
    return under.astype(np.float32), over.astype(np.float32)


def run_demo(out_dir: str | os.PathLike = "imagefusion-demo") -> dict[str, Path]:
    """Build, fuse and save the demo pairs and a side-by-side figure.

    Parameters
    ----------
    out_dir : path
        Created if missing. Receives ``mff_near.png``, ``mff_far.png``, ``mff_fused.png``,
        ``mef_under.png``, ``mef_over.png``, ``mef_fused.png`` and ``demo.png`` (the figure).

    Returns
    -------
    dict of str to Path
        Every file written, by short name.

    Examples
    --------
    >>> import tempfile
    >>> files = run_demo(tempfile.mkdtemp())
    >>> sorted(files)
    ['figure', 'mef_fused', 'mef_over', 'mef_under', 'mff_far', 'mff_fused', 'mff_near']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage import data

    out = Path(out_dir)
    astronaut = data.astronaut().astype(np.float32) / 255.0
    coffee = data.coffee().astype(np.float32) / 255.0
    near, far, _ = make_multifocus_pair(astronaut)
    under, over = make_multiexposure_pair(coffee)
    from .ranking import default_method

    methods = {pair: default_method(task) for pair, task in DEMO_TASKS.items()}
    mff = fuse([near, far], method=methods["multi-focus"])
    mef = fuse([under, over], method=methods["multi-exposure"])
    files = {}
    for key, img in {"mff_near": near, "mff_far": far, "mff_fused": mff,
                     "mef_under": under, "mef_over": over, "mef_fused": mef}.items():
        files[key] = write_image(out / f"{key}.png", img)
    fig, axes = plt.subplots(2, 3, figsize=(12, 8))
    rows = [
        (near, far, mff, f"multi-focus: {methods['multi-focus']}", ("near focus", "far focus")),
        (under, over, mef, f"multi-exposure: {methods['multi-exposure']}", ("under-exposed", "over-exposed")),
    ]
    for ax_row, (a, b, f, title, names) in zip(axes, rows):
        for ax, img, label in zip(ax_row, (a, b, f), (*names, title)):
            ax.imshow(np.clip(img, 0, 1))
            ax.set_title(label)
            ax.axis("off")
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=80)
    plt.close(fig)
    files["figure"] = write_bytes_atomic(out / "demo.png", png.getvalue())
    return files
