"""Test set-up shared by ``tests/`` and the doctests of ``src/``: the offline ImageNet VGG16 weights of
``../shared/weights`` (a converted copy for tests, never committed) are what the VGG-based methods load
when a test gives them no weights file (:data:`imagefusion.nn.vgg.WEIGHTS_ENV`)."""

from __future__ import annotations

import os
from pathlib import Path

_SHARED = Path(os.environ.get("IMAGEFUSION_SHARED", Path(__file__).resolve().parent.parent / "shared"))
_VGG16 = _SHARED / "weights" / "vgg16_features_imagenet_fp16.safetensors"
if _VGG16.is_file():
    os.environ.setdefault("IMAGEFUSION_VGG16", str(_VGG16))
