"""The safety check (``imagefusion.bench.safety``) of every method on real pairs: clipped share, its
limit, mean luminance and its bounds, per method and pair.

Run:  python benchmarks/build/safety_table.py [--shared ../shared] [--methods NAME[:KEY=VALUE],...] [--all-tasks]

By default each method runs on the pairs of the tasks it lists (the pairs of ``tests/test_safety.py``,
plus TNO ``07``, the darkest scene); ``--all-tasks`` runs it on every task's pairs, which is how a task is
found that a method should not list (``ratio`` on CT–MRI and MFFW). Images with a side above 1000 pixels
are halved, as in the test. Prints a Markdown table; failing rows are marked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

import imagefusion
from imagefusion.bench.safety import safety_check
from imagefusion.fusion import load_sources

ROOT = Path(__file__).resolve().parents[2]
PAIRS = {
    "ivif": [("ivif/tno", "01"), ("ivif/tno", "07"), ("ivif/roadscene", "FLIR_00977")],
    "mif": [("medical/ct-mri", "11"), ("medical/pet-mri", "11"), ("medical/spect-mri", "11")],
    "mff": [("mff/lytro", "lytro_01"), ("mff/mffw", "mffw_01")],
    "mef": [("mef/mefb", "ICCV_11"), ("mef/mefb", "Candle")],
}
FOLDERS = {"ivif": ("ir", "vi"), "mff": ("a", "b"), "mef": ("under", "over")}


def sources(shared: Path, dataset: str, name: str) -> list:
    task = dataset.split("/")[0]
    folders = FOLDERS.get(task) or (dataset.split("/")[1].split("-")[0], "mri")
    images, _ = load_sources([next((shared / "data" / dataset / f).glob(f"{name}.*")) for f in folders])
    if max(images[0].shape[:2]) > 1000:
        images = [cv2.resize(im, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA) for im in images]
    return images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--methods", default="")
    ap.add_argument("--all-tasks", action="store_true")
    args = ap.parse_args()
    names = args.methods.split(",") if args.methods else [s.name for s in imagefusion.list_methods()]
    print("| method | task | pair | clipped % | limit % | mean | bounds ± 0.02 | |")
    print("|---|---|---|---:|---:|---:|---|---|")
    from imagefusion.bench.runner import parse_method_label

    for name in names:
        base, params = parse_method_label(name)  # NAME or NAME:KEY=VALUE
        spec = imagefusion.get_method(base)
        for task in (PAIRS if args.all_tasks else spec.tasks):
            for dataset, pair in PAIRS[task]:
                srcs = sources(args.shared, dataset, pair)
                r = safety_check(imagefusion.fuse(srcs, base, **params), srcs)
                mark = "" if r.ok else "**fails**"
                print(f"| `{name}` | {task} | {dataset}/{pair} | {100 * r.clipped:.1f} | {100 * r.clipped_limit:.1f} | "
                      f"{r.mean:.3f} | [{r.mean_low:.3f}, {r.mean_high:.3f}] | {mark} |")


if __name__ == "__main__":
    main()
