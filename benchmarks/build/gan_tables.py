"""The end-to-end (GAN) networks beside the best earlier methods and the official peers, per task.

Run:  python benchmarks/build/gan_tables.py [--shared ../shared] [--out runs] [--workers 2]

``imagefusion bench`` runs (convention ``vifb``; the bench's cache folders of ``benchmarks/build/peer_tables.py``,
so rows already scored there are not fused again):

* ``ivif/tno`` and ``ivif/roadscene``: FusionGAN (least squares and WGAN-GP), DDcGAN, the U-Net GAN with and
  without the transfer loss under both objectives, PMGI, the best earlier methods and the official
  DenseFuse, IFCNN and TarDAL outputs;
* ``mff/lytro`` and ``mff/mffw``: MFF-GAN, PMGI (``task=mff``), the Siamese CNNs, GFF (and IFCNN on Lytro);
* ``medical/ct-mri`` and the 20 ``mef/mefb`` pairs of the peers: PMGI beside the best earlier methods and IFCNN.

Columns: EN, SD, SF, MI, VIF (Sheikh–Bovik, summed over the sources), Q^AB/F, SSIM, SCD and the median
milliseconds per pair (two jobs sharing the two cores; peers: their ``timing.csv``). Then the transfer-loss
check: SSIM and MI of the U-Net GAN's fused image to each source, with and without the transfer loss.
Writes ``docs/gan_tables.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from imagefusion.bench import run_bench
from imagefusion.bench.runner import label_dirname, metric_sort_key
from imagefusion.io import read_image
from imagefusion.pairs import find_pairs
from imagefusion.metrics import get_metric

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_tables import METRICS, _mefb20  # noqa: E402  (the same metric set keeps one cache)

ROOT = Path(__file__).resolve().parents[2]
SHOWN = ["en", "sd", "sf", "mi", "vif", "qabf", "ssim", "scd"]
UNET = ["unet-gan:transfer=true", "unet-gan:transfer=false", "unet-gan:objective=wgan-gp:transfer=true",
        "unet-gan:objective=wgan-gp:transfer=false"]
GANS_IVIF = ["fusiongan", "fusiongan:objective=wgan-gp", "ddcgan", *UNET, "pmgi"]
BEST_IVIF = ["siamese-cnn", "cnn-liu2017:rule=pyramid", "hybrid-msd", "hmsd-gf", "gff", "densefuse"]
MFF = ["mff-gan", "pmgi:task=mff", "siamese-cnn", "cnn-liu2017", "gff"]
MIF = ["pmgi:task=mif", "lp", "gff", "mfenet", "densefuse"]
MEF = ["pmgi:task=mef", "lp", "mertens", "gff", "densefuse"]


def _fmt(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"


def table(result, ds: str) -> list[str]:
    sums = [s for s in result.summaries if s.dataset == ds]
    arrow = {m: "↑" if get_metric(m).higher_is_better else "↓" for m in SHOWN}
    best = {m: min(metric_sort_key(m)(s.metrics[m][0]) for s in sums if math.isfinite(s.metrics[m][0])) for m in SHOWN}
    lines = ["| method | ms ↓ | " + " | ".join(f"{m} {arrow[m]}" for m in SHOWN) + " |", "|---|" + "---:|" * (1 + len(SHOWN))]
    for s in sums:
        cells = [f"`{s.method}`",
                 f"{s.median_ms:.0f}" if math.isfinite(s.median_ms) else "–"]
        for m in SHOWN:
            v = s.metrics[m][0]
            t = _fmt(v)
            cells.append(f"**{t}**" if math.isfinite(v) and metric_sort_key(m)(v) == best[m] else t)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def transfer_check(out: Path, data: Path) -> list[str]:
    """SSIM and MI (vifb convention) of the U-Net GAN's fused images to each source, averaged per set."""
    ssim, mi = get_metric("ssim").func, get_metric("mi").func
    rows = ["| set | variant | SSIM(F, IR) | SSIM(F, VI) | MI(F, IR) | MI(F, VI) |", "|---|---|---:|---:|---:|---:|"]
    for ds in ("tno", "roadscene"):
        pairs = find_pairs(data / "ivif" / ds).pairs
        for label in UNET:
            if not _shipped(label):
                continue
            folder = out / "ranking-ivif" / "fused" / ds / label_dirname(label)
            vals = []
            for name, (ir_p, vi_p) in pairs.items():
                f = next(folder.glob(f"{name}.*"))
                fused, ir, vi = read_image(f), read_image(ir_p), read_image(vi_p)
                if vi.ndim == 3 and fused.ndim == 2:
                    fused = np.repeat(fused[..., None], 3, axis=2)
                if ir.ndim == 2 and fused.ndim == 3:
                    ir = np.repeat(ir[..., None], 3, axis=2)
                vals.append([ssim(ir, fused, convention="vifb"), ssim(vi, fused, convention="vifb"),
                             mi(ir, fused, convention="vifb"), mi(vi, fused, convention="vifb")])
            m = np.mean(vals, axis=0)
            rows.append(f"| {ds} | `{label}` | " + " | ".join(f"{v:.3f}" for v in m) + " |")
    return rows


def _shipped(label: str) -> bool:
    """Whether the network a label runs has weights here (networks still training are left out)."""
    from imagefusion.bench.runner import parse_method_label
    from imagefusion.registry import get_method

    if label.startswith("results:"):
        return True
    try:
        name, params = parse_method_label(label)
    except Exception:  # noqa: BLE001 - a method not registered yet
        return False
    spec = get_method(name)
    if not spec.networks:
        return True
    objective, transfer = params.get("objective", "lsgan"), bool(params.get("transfer", False))
    tag = {"fusiongan": ".wgan-gp" if objective == "wgan-gp" else "",
           "unet-gan": {("lsgan", True): "", ("lsgan", False): ".no-st", ("wgan-gp", True): ".wgan-gp",
                        ("wgan-gp", False): ".wgan-gp-no-st"}[(objective, transfer)],
           "pmgi": "" if params.get("task", "ivif") == "ivif" else f".{params['task']}"}.get(name, "")
    from imagefusion.errors import WeightsError
    from imagefusion.nn.registry import shipped_weights_path

    try:  # shipped, or an ablation variant's file in the checkout, the cache or fetched
        shipped_weights_path(spec.networks[0] + tag)
    except WeightsError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "runs")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    data, peers = args.shared / "data", args.shared / "peers"
    runs = [
        ("ivif", GANS_IVIF + BEST_IVIF + [f"results:{peers / p}" for p in ("densefuse", "densefuse-l1", "ifcnn", "tardal")],
         [data / "ivif/tno", data / "ivif/roadscene"]),
        ("mff", MFF + [f"results:{peers / 'ifcnn'}"], [data / "mff/lytro"]),
        ("mffw", MFF, [data / "mff/mffw"]),
        ("mif", MIF + [f"results:{peers / 'ifcnn'}"], [data / "medical/ct-mri"]),
        ("mef", MEF + [f"results:{peers / 'ifcnn'}"], [_mefb20(args.shared, args.out)]),
    ]
    doc = ["# End-to-end (GAN) networks: tables", "",
           "Made by `python benchmarks/build/gan_tables.py` (convention `vifb`; each cell the mean over the set's pairs; "
           "`vif` is Sheikh–Bovik VIF summed over the sources; `results:NAME` rows are the official networks' outputs "
           "with their authors' weights, `shared/peers`; ms: median per pair, ours with two bench jobs sharing the two "
           "cores, the peers' from their `timing.csv`). Bold: the best value of the column.", ""]
    for key, labels, sets in runs:
        left = [lb for lb in labels if not _shipped(lb)]
        labels = [lb for lb in labels if _shipped(lb)]
        if left:
            doc += [f"Not yet trained, left out of the {key} rows: {', '.join(f'`{lb}`' for lb in left)}.", ""]
        cache = args.out / f"ranking-{'mff' if key == 'mffw' else key}"
        print(f"{key}: {len(labels)} methods", file=sys.stderr, flush=True)
        result = run_bench(labels, sets, cache, metrics=METRICS, convention="vifb", workers=args.workers)
        for ds in result.datasets:
            doc += [f"## {ds} ({len(result.pairs[ds])} pairs)", "", *table(result, ds), ""]
    rows = transfer_check(args.out, data)
    doc += ["## The transfer loss: how close the U-Net GAN's output is to each source", "",
            "SSIM and MI (vifb convention) of the fused image to the infrared and to the visible source, mean over "
            "the set. The survey reports that the transfer loss turns the fused image into a copy of the visible one: "
            "that would show as SSIM(F, VI) near 1 and MI(F, VI) far above MI(F, IR).", "",
            *(rows if len(rows) > 2 else ["Not measured yet: no U-Net GAN weights are shipped."]), ""]
    (ROOT / "docs/gan_tables.md").write_text("\n".join(doc) + "\n", encoding="utf-8")
    print("\n".join(doc))


if __name__ == "__main__":
    main()
