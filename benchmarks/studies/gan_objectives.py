"""Least squares against WGAN-GP: the training curves of FusionGAN and the U-Net GAN side by side.

Run:  python benchmarks/studies/gan_objectives.py [--logs docs/training] [--out docs/training/objectives.png]

Reads the per-epoch logs that ``python benchmarks/build/ship_weights.py`` copied to ``docs/training/`` for
``fusiongan`` / ``fusiongan.wgan-gp`` and ``unet-gan`` / ``unet-gan.wgan-gp`` (pairs with a missing log
are skipped), draws for each network the validation content loss (the same content loss on the same
fixed validation batch for both objectives, so the two curves are comparable) and the discriminator's or
critic's loss, and prints a Markdown table: the validation loss at the first and the last epoch, the
number of epochs in which it rose, its largest rise between two epochs (relative to the previous epoch)
and the range of the discriminator/critic loss.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

PAIRS = [("fusiongan", "fusiongan.wgan-gp"), ("unet-gan", "unet-gan.wgan-gp")]


def read_log(path: Path) -> list[dict[str, float]]:
    """Rows of a training log.csv as floats (empty cells skipped)."""
    with path.open(newline="") as f:
        return [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in csv.DictReader(f)]


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    """First/last validation loss, number and largest relative size of its rises, critic loss range."""
    val = [r["val_loss"] for r in rows]
    rises = [(b - a) / abs(a) for a, b in zip(val[:-1], val[1:]) if b > a]
    d = [r["d_loss"] for r in rows if "d_loss" in r]
    return {"steps": rows[-1]["steps"], "first": val[0], "last": val[-1], "rises": len(rises),
            "max_rise": max(rises, default=0.0), "d_min": min(d, default=float("nan")),
            "d_max": max(d, default=float("nan"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logs", default="docs/training")
    ap.add_argument("--out", default="docs/training/objectives.png")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from imagefusion.io import write_bytes_atomic

    logs = Path(args.logs)
    pairs = [p for p in PAIRS if all((logs / f"{n}-log.csv").exists() for n in p)]
    if not pairs:
        raise SystemExit(f"{logs}: no pair of logs of {PAIRS}")
    fig, axes = plt.subplots(len(pairs), 2, figsize=(9, 3.2 * len(pairs)), dpi=100, squeeze=False)
    print("| weights | steps | validation content loss, first → last epoch | epochs it rose | largest rise | "
          "D / critic loss range |")
    print("|---|---:|---|---:|---:|---|")
    for row_axes, pair in zip(axes, pairs):
        for name in pair:
            rows = read_log(logs / f"{name}-log.csv")
            s = summary(rows)
            steps = [r["steps"] for r in rows]
            row_axes[0].plot(steps, [r["val_loss"] for r in rows], "o-", ms=3, label=name)
            row_axes[1].plot(steps, [r.get("d_loss", float("nan")) for r in rows], "o-", ms=3, label=name)
            print(f"| `{name}` | {s['steps']:.0f} | {s['first']:.4g} → {s['last']:.4g} | {s['rises']} | "
                  f"{100 * s['max_rise']:.1f} % | {s['d_min']:.3g} … {s['d_max']:.3g} |")
        for ax, what in zip(row_axes, ("validation content loss", "discriminator / critic loss")):
            ax.set_title(f"{pair[0]}: {what}", fontsize=9)
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(Path(args.out), buf.getvalue())
    print(f"\n{args.out}")


if __name__ == "__main__":
    main()
