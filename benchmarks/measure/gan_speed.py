"""Inference time of each end-to-end generator per 640 × 480 pair on 2 CPU cores.

Run:  python benchmarks/measure/gan_speed.py [--threads 2] [--repeats 5] [--profile ddcgan]

Each generator (PMGI, MFF-GAN, FusionGAN, DDcGAN, the U-Net GAN) with its initial weights — the time
depends on the architecture, not on the weights — prepared as the methods prepare it
(:func:`imagefusion.nn.inference.prepare_model`: eval mode, batch norms folded into the convolutions,
channels-last, the weights in the precision the methods use by default, bfloat16 where the CPU computes
it natively), one 480 × 640 pair at a time
through ``fuse`` (FusionGAN's border padding and the U-Net's padding to 16 included): the median of
``--repeats`` runs after one warm-up. Prints a Markdown table; ``--profile NAME`` also prints
``torch.profiler``'s table of one more run of that generator (operators by their own CPU time).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from imagefusion.nn.inference import prepare_model, select_dtype
from imagefusion.nn.registry import import_networks, network_class

NAMES = ["pmgi", "mff-gan", "fusiongan", "ddcgan", "unet-gan"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--profile", default="", help="a generator to profile after timing")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import_networks()
    dtype = select_dtype(torch.device("cpu"), "auto")
    print(f"| generator | parameters | median s per 640 × 480 pair ({args.threads} threads, {str(dtype).split('.')[-1]}) |")
    print("|---|---:|---:|")
    profiles: list[str] = []
    for name in NAMES:
        torch.manual_seed(0)
        base = network_class(name)().eval()
        n = sum(p.numel() for p in base.parameters())
        net = prepare_model(base, torch.device("cpu"), dtype)
        x = [torch.rand(1, 1, 480, 640).to(dtype).contiguous(memory_format=torch.channels_last) for _ in range(2)]
        times = []
        with torch.inference_mode():
            net.fuse(x)
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                net.fuse(x)
                times.append(time.perf_counter() - t0)
        print(f"| `{name}` | {n:,} | {statistics.median(times):.3f} |", flush=True)
        if name == args.profile:
            with torch.inference_mode(), torch.profiler.profile() as prof:
                net.fuse(x)
            profiles.append(f"\n{name}:\n" + prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))
    print("".join(profiles))


if __name__ == "__main__":
    main()
