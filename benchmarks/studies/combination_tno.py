"""Does a combination of two methods' fused images beat the best method on TNO?

Run:  python benchmarks/studies/combination_tno.py [--pairs A+B,C+D] [--methods LABEL;LABEL] [--folders F,F] [--base-average] [--set tno]

For each combination ``A+B`` the per-pixel average of the two methods' fused images (8-bit, as the bench
saved them in ``runs/ranking-ivif/fused``; run ``python benchmarks/build/peer_tables.py`` first) is scored as a
``results:`` row beside every row of the set's table in ``docs/benchmarks.md`` (convention ``vifb``, the
bench's cache for the others), and its mean rank over VIFB's 13 metrics printed with the table's best
rows — one combination at a time, so that each is ranked against the same rows. ``--methods`` (labels
separated by ``;``, e.g. ``cnn-liu2017:rule=pyramid:threshold=0.8``) ranks variants of a registered method
the same way, one at a time (the bench fuses and caches them in ``runs/ranking-ivif``); ``--folders`` ranks
folders of fused images made elsewhere (``FOLDER/ivif/SET/NAME.png``); ``--base-average`` ranks
``cnn-liu2017:rule=pyramid`` with its coarsest pyramid level averaged instead of fused by the weight map
(grey; the infrared's low-pass contribution taken out).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "build"))

import peer_tables as pt  # noqa: E402

from imagefusion.bench import run_bench  # noqa: E402
from imagefusion.io import read_image, write_image  # noqa: E402


def _folder(label: str) -> str:
    return label.replace(":", "_").replace("=", "-")


def base_average(dataset: str) -> Path:
    """``cnn-liu2017:rule=pyramid`` (grey) with the base (coarsest) level the sources' average."""
    import numpy as np

    from imagefusion.methods.pyramid import (_levels, gaussian_pyramid, laplacian_pyramid, reconstruct_laplacian,
                                             similarity_rule)
    from imagefusion.models.siamese import focus_map

    src = ROOT.parent / "shared/data/ivif" / dataset
    out = ROOT / "runs/combinations/cnn-liu2017-base-average" / "ivif" / dataset
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((src / "ir").iterdir()):
        if (out / f"{path.stem}.png").is_file():
            continue
        ir, vi = (read_image(p) for p in (path, next((src / "vi").glob(path.stem + ".*"))))
        ir, vi = (np.asarray(x.mean(axis=2) if x.ndim == 3 else x, np.float32) for x in (ir, vi))
        n = _levels(ir.shape, None)
        pa, pb = laplacian_pyramid(ir, n), laplacian_pyramid(vi, n)
        gw = gaussian_pyramid(focus_map(ir, vi, "cnn-liu2017"), n)
        fused = [similarity_rule(a, b, g, 0.6) for a, b, g in zip(pa, pb, gw)]
        fused[-1] = (pa[-1] + pb[-1]) / 2
        write_image(out / f"{path.stem}.png", np.clip(reconstruct_laplacian(fused), 0, 1))
    return out.parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", default="hybrid-msd+cnn-liu2017:rule=pyramid,hybrid-msd+hmsd-gf,"
                                       "hmsd-gf+cnn-liu2017:rule=pyramid")
    ap.add_argument("--methods", default="", help="method labels separated by ';'")
    ap.add_argument("--folders", default="", help="results folders (FOLDER/ivif/SET/NAME.png) separated by ','")
    ap.add_argument("--base-average", action="store_true")
    ap.add_argument("--set", default="tno")
    args = ap.parse_args()
    doc = (ROOT / "docs/benchmarks.md").read_text(encoding="utf-8")
    section = doc.split(f"## ivif: {args.set}")[1].split("\n## ")[0]
    labels = [lab if not lab.startswith("results:") else f"results:{ROOT.parent / 'shared' / 'peers' / lab[8:]}"
              for lab in re.findall(r"^\| `([^`]+)` \|", section, re.M)]
    fused = ROOT / "runs/ranking-ivif/fused" / args.set
    def report(name: str, row: str, extra: str) -> None:
        result = run_bench([*labels, extra], [ROOT.parent / "shared/data/ivif" / args.set],
                           ROOT / "runs/ranking-ivif", metrics=pt.METRICS, convention="vifb", workers=1)
        ranks = pt.ranks(result.summaries, [s.method for s in result.summaries], pt.VIFB13)
        order = sorted(ranks.items(), key=lambda kv: kv[1])
        place = [m for m, _ in order].index(row) + 1
        print(f"{name}: mean rank {ranks[row]:.2f}, place {place} of {len(order)}; best: "
              + ", ".join(f"{m} {v:.2f}" for m, v in order[:3]), flush=True)

    for label in filter(None, args.methods.split(";")):
        report(label, label, label)
    folders = list(filter(None, args.folders.split(",")))
    if args.base_average:
        folders.append(str(base_average(args.set)))
    for folder in folders:
        path = Path(folder).resolve()
        report(path.name, f"results:{path.name}", f"results:{path}")
    for combo in filter(None, args.pairs.split(",")):
        a, b = combo.split("+")
        out = ROOT / "runs/combinations" / _folder(combo)
        (out / "ivif" / args.set).mkdir(parents=True, exist_ok=True)
        for path in sorted((fused / _folder(a)).glob("*.png")):
            mean = (read_image(path) + read_image(fused / _folder(b) / path.name)) / 2
            write_image(out / "ivif" / args.set / path.name, mean)
        report(combo, f"results:{out.name}", f"results:{out}")  # the bench names a results: row by its folder


if __name__ == "__main__":
    main()
