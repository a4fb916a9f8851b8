"""Deep-learning base shared by the networks of :mod:`imagefusion.models`: whole-image and tiled
inference (:mod:`.inference`), safetensors weights with model cards (:mod:`.weights`), the authors'
weight files (:mod:`.published`), the network registry (:mod:`.registry`), VGG16 features (:mod:`.vgg`),
losses (:mod:`.losses`) and the GAN building blocks (:mod:`.gan`).

Importing this package imports torch; the classical methods never do.
"""

from . import inference, weights
from .inference import dense_score_map, patch_average, select_device, select_dtype
from .weights import (
    create_network,
    load_weights,
    read_model_card,
    save_weights,
    shipped_weights_path,
)

__all__ = [
    "inference", "weights", "dense_score_map", "patch_average", "select_device", "select_dtype",
    "create_network", "load_weights", "read_model_card", "save_weights",
    "shipped_weights_path",
]
