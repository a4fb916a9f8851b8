"""Deep-learning base: networks in plain torch (:mod:`.siamese`), whole-image and tiled inference
(:mod:`.inference`), safetensors weights with model cards and the network registry (:mod:`.weights`).

Importing this package imports torch; the classical methods never do.
"""

from . import inference, siamese, weights
from .inference import dense_score_map, patch_average, select_device, select_dtype
from .siamese import LiuCNN, SiameseResidualCNN
from .weights import create_network, load_weights, read_model_card, save_weights, shipped_weights_path

__all__ = [
    "inference", "siamese", "weights", "dense_score_map", "patch_average", "select_device", "select_dtype",
    "LiuCNN", "SiameseResidualCNN", "create_network", "load_weights", "read_model_card", "save_weights",
    "shipped_weights_path",
]
