"""Side-by-side pictures of a method's (or a training checkpoint's) fused images, with the means.

Run:  python benchmarks/measure/gan_look.py LABEL OUT.png A1,B1 [A2,B2 ...] [--checkpoint RUN/checkpoint.pt]

``LABEL`` is a method label of ``imagefusion bench`` (``pmgi:task=mif``, ``unet-gan:transfer=true``,
``fusiongan``) or, with ``--checkpoint``, a network's weight name (``ddcgan``) whose generator is read from a
training checkpoint that has not been exported yet. Each pair's sources (as grey) and the fused image are
put side by side, one row per pair, in ``OUT.png``; printed per pair: the mean of each source and of the
fused image and the share of fused pixels within 0.002 of black or white — the numbers behind the
safety test (no white-out or black-out, mean within the sources' range).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from imagefusion import fuse
from imagefusion.bench.runner import parse_method_label
from imagefusion.io import read_image, write_image


def _grey(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 2 else x.mean(-1)


def checkpoint_fuser(name: str, checkpoint: Path):
    """A function ``[a, b] → fused`` running the generator saved in a training checkpoint (eval mode)."""
    import torch

    from imagefusion.nn.registry import import_networks, network_class

    import_networks()
    ck = torch.load(checkpoint, map_location="cpu", weights_only=True)
    # a run with a weight average (``ema``) ships the average, so that is the one to look at
    state = ck.get("average") or ck["modules"]["generator"]
    net = network_class(name)()
    if any(".parametrizations." in k for k in state):  # trained under spectral normalisation
        from imagefusion.train.gan import spectral_normalise  # the trainer's own wrapping, so the state dict fits

        spectral_normalise(net)
    net.load_state_dict(state)
    net.eval()

    def run(images: list[np.ndarray]) -> np.ndarray:
        with torch.no_grad():
            out = net.fuse([torch.from_numpy(np.ascontiguousarray(im))[None, None].float() for im in images])
        return np.clip(out[0, 0].numpy(), 0, 1)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("label")
    ap.add_argument("out", type=Path)
    ap.add_argument("pairs", nargs="+", help="A,B paths of one pair each")
    ap.add_argument("--checkpoint", type=Path)
    args = ap.parse_args()
    if args.checkpoint:
        run = checkpoint_fuser(args.label, args.checkpoint)
    else:
        method, params = parse_method_label(args.label)

        def run(images: list[np.ndarray]) -> np.ndarray:
            return _grey(fuse(images, method=method, **params))

    rows = []
    for pair in args.pairs:
        a, b = (_grey(read_image(p)) for p in pair.split(","))
        f = run([a, b])
        clipped = 100 * float(((f <= 0.002) | (f >= 0.998)).mean())
        print(f"{Path(pair.split(',')[0]).name}: means {a.mean():.3f} / {b.mean():.3f}, fused {f.mean():.3f}, "
              f"{clipped:.2f} % clipped")
        rows.append(np.concatenate([a, b, f], 1))
    width = max(r.shape[1] for r in rows)
    write_image(args.out, np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]))) for r in rows], 0).astype(np.float32))


if __name__ == "__main__":
    main()
