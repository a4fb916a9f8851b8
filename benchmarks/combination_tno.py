"""Does a combination of two methods' fused images beat the best method on TNO? (issue 23's last target)

Run:  python benchmarks/combination_tno.py [--pairs A+B,C+D] [--set tno]

For each combination ``A+B`` the per-pixel average of the two methods' fused images (8-bit, as the bench
saved them in ``runs/peers-ivif/fused``; run ``python benchmarks/peer_tables.py`` first) is scored as a
``results:`` row beside every row of the set's table in ``docs/benchmarks.md`` (convention ``vifb``, the
bench's cache for the others), and its mean rank over VIFB's 13 metrics printed with the table's best
rows — one combination at a time, so that each is ranked against the same rows.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import peer_tables as pt  # noqa: E402

from imagefusion.bench import run_bench  # noqa: E402
from imagefusion.io import read_image, write_image  # noqa: E402


def _folder(label: str) -> str:
    return label.replace(":", "_").replace("=", "-")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", default="hybrid-msd+cnn-liu2017:rule=pyramid,hybrid-msd+hmsd-gf,"
                                       "hmsd-gf+cnn-liu2017:rule=pyramid")
    ap.add_argument("--set", default="tno")
    args = ap.parse_args()
    doc = (ROOT / "docs/benchmarks.md").read_text(encoding="utf-8")
    section = doc.split(f"## ivif: {args.set}")[1].split("\n## ")[0]
    labels = [lab if not lab.startswith("results:") else f"results:{ROOT.parent / 'shared' / 'peers' / lab[8:]}"
              for lab in re.findall(r"^\| `([^`]+)` \|", section, re.M)]
    fused = ROOT / "runs/peers-ivif/fused" / args.set
    for combo in args.pairs.split(","):
        a, b = combo.split("+")
        out = ROOT / "runs/combinations" / _folder(combo)
        (out / "ivif" / args.set).mkdir(parents=True, exist_ok=True)
        for path in sorted((fused / _folder(a)).glob("*.png")):
            mean = (read_image(path) + read_image(fused / _folder(b) / path.name)) / 2
            write_image(out / "ivif" / args.set / path.name, mean)
        result = run_bench([*labels, f"results:{out}"], [ROOT.parent / "shared/data/ivif" / args.set],
                           ROOT / "runs/peers-ivif", metrics=pt.METRICS, convention="vifb", workers=1)
        row = f"results:{out.name}"  # the bench names a results: row by its folder
        ranks = pt.ranks(result.summaries, [s.method for s in result.summaries], pt.VIFB13)
        order = sorted(ranks.items(), key=lambda kv: kv[1])
        place = [m for m, _ in order].index(row) + 1
        print(f"{combo}: mean rank {ranks[row]:.2f}, place {place} of {len(order)}; best: "
              + ", ".join(f"{m} {v:.2f}" for m, v in order[:3]), flush=True)


if __name__ == "__main__":
    main()
