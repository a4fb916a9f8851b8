"""DIDFuse with its authors' weights (:mod:`imagefusion.models.didfuse.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["didfuse"]


@register_method(
    "didfuse",
    tasks=("ivif",),
    family="deep",
    reference="Zhao, Xu, Zhang, Liu, Zhang & Liu, 'DIDFuse: Deep image decomposition for infrared and visible image "
              "fusion', IJCAI 2020 (the authors' weights)",
    published=("didfuse-encoder", "didfuse-decoder"),
    colour=True,
    max_sources=2,
    downloads="the authors' DIDFuse encoder and decoder (1.1 MB, no licence file) at first use, or "
              "$IMAGEFUSION_WEIGHTS_DIR",
    ranges={"rule": ("sum", "average", "l1"), "precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def didfuse(images: Sequence[np.ndarray], *, rule: str = "sum", colour: bool = True, encoder: str = "",
            decoder: str = "", precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """DIDFuse: an auto-encoder that splits each source into base and detail feature layers, fused and decoded.

    Runs as the authors' ``test.py`` (:func:`imagefusion.models.didfuse.network.didfuse_fuse`): both sources grey,
    features fused by ``rule``, the decoded image rounded to 8 bits; with ``colour`` it becomes the Y of
    the visible image.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Infrared then visible, as read.
    rule : {"sum", "average", "l1"}, default "sum"
        The feature fusion rule; ``sum`` is the authors' ``test.py`` default, ``l1`` their ``l1_norm``.
    colour : bool, default True
        The visible image's colour on the fused grey image (the authors' code saves grey).
    encoder, decoder : str, default ""
        Local copies of ``Encoder_weight_IJCAI.pkl`` and ``Decoder_weight_IJCAI.pkl`` (SHA-256 checked); by
        default read from ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto``: bfloat16 where the CPU computes it natively; ``float32`` reproduces the authors' output.
    tile : int, default 1024
        Largest tile side in pixels.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) for a colour visible image with ``colour``, else (H, W).

    Raises
    ------
    ParameterError
        An unknown ``rule``.
    WeightsError
        The authors' files are not here and cannot be downloaded.

    References
    ----------
    Zhao, Xu, Zhang, Liu, Zhang & Liu, "DIDFuse: Deep image decomposition for infrared and visible image
    fusion", IJCAI 2020, 970-976.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ir, vi = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ir, vi], "didfuse") if locate("didfuse-encoder") else vi
    >>> out.shape
    (20, 20)
    """
    from .network import didfuse_fuse

    return didfuse_fuse(images, rule=rule, colour=colour, encoder=encoder or None, decoder=decoder or None,
                        tile=tile, precision=precision)
