"""The safety check (mean luminance within the sources' range, clipping) of a generator saved in
training checkpoints, on a few real infrared–visible pairs — to follow a GAN's output intensity from
epoch to epoch before its weights are exported.

Run:  python benchmarks/measure/checkpoint_safety.py NETWORK CHECKPOINT [CHECKPOINT ...] [--stretch]

``NETWORK`` is a registered network's weight name (``ddcgan``); each checkpoint is a ``checkpoint.pt`` of
``imagefusion train`` (its weight average when the run keeps one, else the generator). ``--stretch`` maps
each fused image linearly from its minimum and maximum to [0, 1], as DDcGAN's ``generate.py`` saves it.
Pairs: TNO 01, 05, 07 (dark), 10 and RoadScene FLIR_00977, FLIR_01130 (test pairs: this checks, it
does not select). ``--validation`` instead counts, per checkpoint, the pairs that pass among the training
run's own validation pairs (the hash-split 10 % of ``ivif/roadscene-full`` minus the test names, grey),
as they are and darkened (both sources × 0.3, a night scene to a first approximation): a choice among
checkpoints made there uses no test image.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from gan_look import _grey, checkpoint_fuser  # noqa: E402

from imagefusion.bench.safety import safety_check  # noqa: E402
from imagefusion.io import read_image  # noqa: E402

PAIRS = [("tno", "01"), ("tno", "05"), ("tno", "07"), ("tno", "10"), ("roadscene", "FLIR_00977"),
         ("roadscene", "FLIR_01130")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("network")
    ap.add_argument("checkpoints", nargs="+", type=Path)
    ap.add_argument("--stretch", action="store_true")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/ivif")
    ap.add_argument("--validation", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.validation:
        validation(args)
        return
    print("| checkpoint | pair | fused mean | safe range | clipped | |\n|---|---|---:|---|---:|---|")
    for ck in args.checkpoints:
        run = checkpoint_fuser(args.network, ck)
        for dataset, name in PAIRS:
            ir, vi = (read_image(next((args.data / dataset / s).glob(name + ".*"))) for s in ("ir", "vi"))
            fused = run([_grey(ir), _grey(vi)])
            if args.stretch:
                fused = (fused - fused.min()) / max(float(fused.max() - fused.min()), 1e-12)
            r = safety_check(fused, [ir, vi])
            print(f"| {ck} | {dataset} {name} | {r.mean:.3f} | [{r.mean_low:.3f}, {r.mean_high:.3f}] | {r.clipped:.3f} "
                  f"| {'ok' if r.ok else 'fails'} |", flush=True)


def validation(args: argparse.Namespace) -> None:
    import numpy as np

    from imagefusion.train.samplers import task_samplers

    pairs = task_samplers("ivif", args.data.parent)[1].pairs  # the trainer's own validation pairs (seed 0)
    print(f"| checkpoint | validation pairs passing ({len(pairs)}) | darkened × 0.3 passing | mean shift (fused − "
          "middle of the safe range), as is / darkened |\n|---|---:|---:|---|")
    for ck in args.checkpoints:
        run = checkpoint_fuser(args.network, ck)
        counts, shifts = [0, 0], [[], []]
        for pair in pairs:
            for k, gain in enumerate((1.0, 0.3)):
                ir, vi = (np.ascontiguousarray(x * gain, dtype=np.float32) for x in pair)
                fused = run([ir, vi])
                if args.stretch:
                    fused = (fused - fused.min()) / max(float(fused.max() - fused.min()), 1e-12)
                r = safety_check(fused, [ir, vi])
                counts[k] += r.ok
                shifts[k].append(r.mean - (r.mean_low + r.mean_high) / 2)
        print(f"| {ck} | {counts[0]} | {counts[1]} | {np.mean(shifts[0]):+.3f} / {np.mean(shifts[1]):+.3f} |", flush=True)


if __name__ == "__main__":
    main()
