"""MEF-Net with its authors' weights against the authors' code's outputs (``tests/reference/mef-net``: top-left
128×128 crops of their full-size outputs, written by ``benchmarks/measure/mef_net_reference.py --crops``); any
number of exposures; the checkpoint read by the restricted unpickler (numpy scalars dropped, code refused)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import imagefusion
from imagefusion.errors import WeightsError
from imagefusion.nn.published import locate, torch_state_dict
from imagefusion.pairs import find_pairs

REFERENCE = Path(__file__).parent / "reference" / "mef-net"
CASES = ["Candle", "Arno", "Chair", "House"]


@pytest.mark.parametrize("name", CASES)
def test_mef_net_equals_the_authors_code(data_dir, name):
    files = find_pairs(data_dir / "mef/mefb").pairs[name]
    ours = np.round(imagefusion.fuse(files, "mef-net") * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{name}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 3 and np.mean(d > 0) < 2e-3  # measured 72.8-77.5 dB at 640x480


def test_three_exposures_and_grey_ones(data_dir):
    under, over = (imagefusion.read_image(f) for f in find_pairs(data_dir / "mef/mefb").pairs["Candle"])
    middle = np.clip((under + over) / 2, 0, 1)
    out = imagefusion.fuse([under, middle, over], "mef-net")
    assert out.shape == under.shape and 0 <= out.min() and out.max() <= 1
    grey = [im @ np.float32([0.299, 0.587, 0.114]) for im in (under, over)]
    g = imagefusion.fuse(grey, "mef-net")
    assert g.ndim == 2 and abs(float(g.mean()) - float(np.mean(grey))) < 0.15  # between the exposures


def test_the_checkpoint_is_read_without_running_its_pickle(tmp_path):
    path = locate("mef-net")
    state = torch_state_dict(path)  # numpy scalars in its loss history become nothing
    assert len(state) == 32 and all(isinstance(v, torch.Tensor) for v in state.values())
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    bad = tmp_path / "bad.pt"
    torch.save({"state_dict": {"w": torch.ones(1)}, "log": [np.float64(1.0), Payload()]}, bad)
    with pytest.raises(WeightsError, match="more than tensors"):
        torch_state_dict(bad)
    assert not marker.exists()
    torch.load(bad, weights_only=False)  # the full unpickler runs it
    assert marker.exists()
