"""Peak resident memory of one process that fuses every pair of a dataset with one method.

    python benchmarks/measure/peak_memory.py METHOD [--data ../shared/data/mff/mffw] [--weights FILE]

Prints the method, the weights, the number of pairs and the process's peak RSS in MiB (Linux VmHWM:
interpreter, torch and libraries included, sources decoded one pair at a time). Run it once per
method or weights file, each in a fresh process, to compare two of them without the bench's workers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import imagefusion
from imagefusion.runtime import peak_rss_mib
from imagefusion.pairs import find_pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("method")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/mff/mffw")
    ap.add_argument("--weights", default="", help="a weights file of one's own (default: the shipped weights)")
    args = ap.parse_args()
    pairs = find_pairs(args.data).pairs
    params = {"weights": args.weights} if args.weights else {}
    for name in sorted(pairs):
        imagefusion.fuse([str(p) for p in pairs[name]], method=args.method, **params)
    print(f"{args.method} ({args.weights or 'shipped weights'}): {len(pairs)} pairs of {args.data.name}, "
          f"peak {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
