"""Test set-up shared by ``tests/`` and the doctests of ``src/``: the offline ImageNet VGG16 weights of
``../shared/weights`` (a converted copy for tests, never committed) are what the VGG-based methods load
when a test gives them no weights file (:data:`imagefusion.nn.vgg.WEIGHTS_ENV`); the published networks'
own files are read from ``../shared/weights/official`` (``IMAGEFUSION_WEIGHTS_DIR``), never downloaded
(``IMAGEFUSION_OFFLINE=1``), and converted into a cache of this test run (``IMAGEFUSION_CACHE``)."""

from __future__ import annotations

import os
from pathlib import Path

_SHARED = Path(os.environ.get("IMAGEFUSION_SHARED", Path(__file__).resolve().parent.parent / "shared"))
_VGG16 = _SHARED / "weights" / "vgg16_features_imagenet_fp16.safetensors"
if _VGG16.is_file():
    os.environ.setdefault("IMAGEFUSION_VGG16", str(_VGG16))
if (_SHARED / "weights" / "official").is_dir():
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(_SHARED / "weights" / "official"))
os.environ.setdefault("IMAGEFUSION_OFFLINE", "1")
if "IMAGEFUSION_CACHE" not in os.environ:
    import tempfile

    os.environ["IMAGEFUSION_CACHE"] = tempfile.mkdtemp(prefix="imagefusion-test-cache-")
