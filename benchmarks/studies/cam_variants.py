"""What CAM fusion's feature rule can reach, beside the official networks: EN, SCD, VIF, VIFF on TNO and
RoadScene for the paper's channel weights and for rules that change the weight normalisation or add back
what the autoencoder loses.

Run:  python benchmarks/studies/cam_variants.py [--shared ../shared] [--sets ivif/tno,ivif/roadscene] [--workers 2]

Rules on the ``cam-ae`` features φ_ir, φ_vi with the shipped class weights Ŵ = 0.5·tanh(W) + 0.5 (per
channel) — every row decodes with the shipped decoder:

* ``paper``: Ŵ ⊗ φ_ir + (1 − Ŵ) ⊗ φ_vi (``cam-fusion -p variant=paper``);
* ``l1``: DenseFuse's l1-norm weights (``cam-fusion -p variant=l1``);
* ``max``: element-wise maximum of the features;
* ``peak``: the CAM weights divided by their larger member, so the stronger source keeps full weight
  (weights sum to 1–2 per channel);
* ``peak+rebase``: ``peak``'s detail (minus its 31×31 box mean) on ``paper``'s 31×31 box mean, so the
  brightness stays the convex combination's;
* ``peak+mean``: ``peak`` shifted to ``paper``'s mean brightness (``cam-fusion``'s default, ``variant=peak``);
* ``paper+residual``: ``paper`` plus the larger-magnitude of the sources' reconstruction residuals
  I − AE(I) (what the autoencoder loses; fusing an image with itself then returns it exactly).

The official outputs (``shared/peers``) are scored the same way. Prints one Markdown table per set.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RULES = ["paper", "l1", "max", "peak", "peak+rebase", "peak+mean", "paper+residual"]
PEERS = ["densefuse", "densefuse-l1", "ifcnn", "tardal"]
METRICS = ["en", "scd", "vif", "viff"]


def fuse_rule(rule: str, ir: np.ndarray, vi: np.ndarray) -> np.ndarray:
    """CAM-AE fusion of two grey images in [0, 1] with one of :data:`RULES` (float32 in [0, 1])."""
    import torch

    from imagefusion.models.autoencoder import cam_channel_weights, l1_norm_weights, weighted_sum
    from imagefusion.nn.weights import inference_network

    ae = inference_network("cam-ae", "", None, "float32")
    h, w = ir.shape
    pad = ((0, (-h) % 4), (0, (-w) % 4))
    x = torch.from_numpy(np.stack([np.pad(ir, pad, mode="reflect"), np.pad(vi, pad, mode="reflect")])[:, None])
    wi = torch.from_numpy(cam_channel_weights("paper")).view(1, -1, 1, 1)
    with torch.inference_mode():
        fi, fv = ae.encoder(2 * x - 1).split(1)
        if rule in ("paper", "paper+residual"):
            f = wi * fi + (1 - wi) * fv
        elif rule == "l1":
            f = weighted_sum([fi, fv], l1_norm_weights([fi, fv], 1, nonnegative=True))
        elif rule == "max":
            f = torch.maximum(fi, fv)
        elif rule in ("peak", "peak+rebase", "peak+mean"):
            m = torch.maximum(wi, 1 - wi)
            f = (wi / m) * fi + ((1 - wi) / m) * fv
        else:
            raise ValueError(rule)
        out = (ae.decoder(f) + 1) / 2
        if rule == "peak+mean":
            paper = (ae.decoder(wi * fi + (1 - wi) * fv) + 1) / 2
            out = out + (paper.mean() - out.mean())
        if rule == "peak+rebase":
            import cv2

            paper = ((ae.decoder(wi * fi + (1 - wi) * fv) + 1) / 2)[0, 0].numpy()
            o = out[0, 0].numpy()
            blur = lambda y: cv2.blur(y, (31, 31), borderType=cv2.BORDER_REFLECT)  # noqa: E731
            out = torch.from_numpy(o - blur(o) + blur(paper))[None, None]
        if rule == "paper+residual":
            res = x - (ae.decoder(torch.cat([fi, fv])) + 1) / 2
            out = out + torch.where(res[0:1].abs() >= res[1:2].abs(), res[0:1], res[1:2])
    return np.clip(out[0, 0, :h, :w].numpy(), 0, 1).astype(np.float32)


def _score(job: tuple[str, str, list[Path], Path | None]) -> tuple[str, dict[str, float]]:
    import torch

    from imagefusion.color import merge_luminance, split_colour
    from imagefusion.fusion import load_sources
    from imagefusion.metrics import evaluate

    torch.set_num_threads(1)
    label, rule, files, peer_file = job
    sources, _ = load_sources(files)
    if peer_file is not None:
        fused = peer_file
    else:
        lums, chromas = split_colour(sources)
        fused = merge_luminance(fuse_rule(rule, *lums), chromas[0] if chromas else None)
    return label, evaluate(fused, sources, METRICS, convention="vifb")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--sets", default="ivif/tno,ivif/roadscene")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rules", default=",".join(RULES))
    ap.add_argument("--peers", default=",".join(PEERS))
    args = ap.parse_args()
    rules, peers = [r for r in args.rules.split(",") if r], [p for p in args.peers.split(",") if p]
    for ds in args.sets.split(","):
        root = args.shared / "data" / ds
        names = sorted(p.stem for p in (root / "ir").iterdir())
        jobs = []
        for n in names:
            files = [next((root / s).glob(f"{n}.*")) for s in ("ir", "vi")]
            jobs += [(r, r, files, None) for r in rules]
            jobs += [(f"official {p}", p, files, args.shared / "peers" / p / ds / f"{n}.png") for p in peers]
        with ProcessPoolExecutor(args.workers) as ex:
            results = list(ex.map(_score, jobs, chunksize=4))
        print(f"\n{ds} ({len(names)} pairs), convention vifb\n")
        print("| rule | " + " | ".join(f"{m} ↑" for m in METRICS) + " |")
        print("|---|" + "---:|" * len(METRICS))
        for label in rules + [f"official {p}" for p in peers]:
            vals = [r for lab, r in results if lab == label]
            print(f"| {label} | " + " | ".join(f"{np.mean([v[m] for v in vals]):.3f}" for m in METRICS) + " |")


if __name__ == "__main__":
    main()
