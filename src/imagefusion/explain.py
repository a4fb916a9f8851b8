"""Pictures that explain a fusion: the class activation maps and channel weights of ``cam-fusion``
(``imagefusion fuse -m cam-fusion --explain DIR``). The numbers come from the method's module
(:func:`imagefusion.models.autoencoder.cam_explanation`); this module only draws them (matplotlib,
imported when called), so the methods themselves draw nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["write_cam_explanation", "write_semantic_cam_explanation"]


def write_cam_explanation(folder: str | os.PathLike, ir: np.ndarray, vi: np.ndarray, **kwargs: Any) -> list[Path]:
    """Write :func:`~imagefusion.models.autoencoder.cam_explanation` as pictures: ``cam_ir.png`` and ``cam_vi.png`` (heat map over
    the source), ``channel_weights.png`` (bar chart of Ŵ_ir and Ŵ_vi per channel) and
    ``channel_weights.csv``. Files are written atomically; the folder is created.

    Parameters
    ----------
    folder : path
    ir, vi : ndarray, float32, shape (H, W), values in [0, 1]
    **kwargs
        Passed to :func:`~imagefusion.models.autoencoder.cam_explanation`.

    Returns
    -------
    list of Path: the files written.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> ir, vi = np.random.default_rng(0).random((2, 64, 64)).astype(np.float32)
    >>> sorted(p.name for p in write_cam_explanation(tempfile.mkdtemp(), ir, vi))
    ['cam_ir.png', 'cam_vi.png', 'channel_weights.csv', 'channel_weights.png']
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .io import write_bytes_atomic, write_image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from .models.autoencoder import cam_explanation

    ex = cam_explanation(ir, vi, **kwargs)
    written = []
    cmap = plt.get_cmap("jet")
    for key, src in (("cam_ir", ir), ("cam_vi", vi)):
        heat = cmap(ex[key])[..., :3].astype(np.float32)
        overlay = 0.5 * heat + 0.5 * np.repeat(np.asarray(src, np.float32)[..., None], 3, axis=2)
        path = folder / f"{key}.png"
        write_image(path, np.clip(overlay, 0, 1))
        written.append(path)
    w = ex["weights_ir"]
    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    k = np.arange(len(w))
    ax.bar(k, w, width=1.0, color="tab:red", label="infrared Ŵ_ir")
    ax.bar(k, 1 - w, width=1.0, bottom=w, color="tab:blue", alpha=0.6, label="visible Ŵ_vi = 1 − Ŵ_ir")
    ax.set_xlabel("feature channel k")
    ax.set_ylabel("weight")
    ax.set_xlim(-0.5, len(w) - 0.5)
    ax.set_ylim(0, 1)
    p = ex["probability_ir"]
    ax.set_title(f"cam-fusion channel weights (P(ir): infrared image {p[0]:.2f}, visible image {p[1]:.2f})",
                 fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(folder / "channel_weights.png", buf.getvalue())
    rows = "channel,weight_ir,weight_vi\n" + "".join(f"{i},{v:.6f},{1 - v:.6f}\n" for i, v in enumerate(w))
    write_bytes_atomic(folder / "channel_weights.csv", rows.encode())
    written += [folder / "channel_weights.png", folder / "channel_weights.csv"]
    return written


def write_semantic_cam_explanation(folder: str | os.PathLike, sources: list[np.ndarray], **kwargs: Any) -> list[Path]:
    """Write the class activation maps of ``semantic-cam`` as pictures: ``cam_1.png`` … ``cam_N.png``
    (each source's map as a heat map over the source), ``weights_1.png`` … (each source's per-pixel
    weight, grey, white = 1) and ``cam.txt`` (which CAM: Grad-CAM or, without a classifier head,
    Eigen-CAM). Files are written atomically; the folder is created.

    Parameters
    ----------
    folder : path
    sources : list of ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
    **kwargs
        Passed to :func:`~imagefusion.methods.semantic.cam_maps` (``backbone``, ``weights``, ``top_k``).

    Returns
    -------
    list of Path: the files written.

    Raises
    ------
    WeightsError
        No VGG weights.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> a, b = np.random.default_rng(0).random((2, 64, 64)).astype(np.float32)
    >>> sorted(p.name for p in write_semantic_cam_explanation(tempfile.mkdtemp(), [a, b]))
    ['cam.txt', 'cam_1.png', 'cam_2.png', 'weights_1.png', 'weights_2.png']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .io import write_bytes_atomic, write_image
    from .methods.semantic import cam_weights, cam_maps

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    maps, kind = cam_maps(sources, **kwargs)
    cmap = plt.get_cmap("jet")
    written = []
    for i, (m, src, w) in enumerate(zip(maps, sources, cam_weights(maps)), start=1):
        grey = src if src.ndim == 2 else src.mean(axis=2)
        overlay = 0.5 * cmap(m)[..., :3] + 0.5 * np.repeat(np.asarray(grey, np.float32)[..., None], 3, axis=2)
        for name, img in ((f"cam_{i}.png", np.clip(overlay, 0, 1)), (f"weights_{i}.png", np.clip(w, 0, 1))):
            write_image(folder / name, img.astype(np.float32))
            written.append(folder / name)
    note = {"grad-cam": "Grad-CAM of the top class (ImageNet classifier head)",
            "eigen-cam": "Eigen-CAM (no classifier head available: class-agnostic first principal component)"}[kind]
    write_bytes_atomic(folder / "cam.txt", (note + "\n").encode())
    return written + [folder / "cam.txt"]
