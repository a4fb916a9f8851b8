"""Regenerate every table of benchmarks/studies/measurement-log.md (the measurement log that was the README until
2026-11-30) from scratch, printing each under the heading it belongs to.

Run:  python benchmarks/studies/readme_tables.py [--shared ../shared] [--out bench-out] [--workers 2]

Tables and the commands that make them:

* "Speed" (methods):         python benchmarks/measure/bench_methods.py
* "Metrics" speed:           python benchmarks/measure/bench_metrics.py --repeat 5
* "Benchmark", where the time goes: python benchmarks/measure/metric_costs.py
* "Benchmark" (per dataset): imagefusion bench --methods all --task <task> --datasets <set>
                                 --metrics <VIFB's 13> --convention vifb --out <out>/<set> --workers 2
  for ivif/tno, mff/lytro and medical/ct-mri (each table is the report.md of that run).
* "Siamese CNN" (the paper's columns):
                             imagefusion bench --methods gff,dwt,cnn-liu2017,siamese-cnn
                                 --datasets mff/lytro,mff/mffw,medical/ct-mri --metrics mi,ag,qabf
                                 --convention vifb --out <out>/siamese --workers 1
  (one worker: the networks use both cores, so the seconds per pair are not shared with another job)
* "Siamese CNN" speed and memory: python benchmarks/measure/bench_deep.py --repeat 3
                                 and --repeat 1 --methods mfenet,densefuse,cam-fusion --big-methods (the same)
* "Siamese CNN" fusion rules:     python benchmarks/studies/siamese_rules.py --per-level
* "Autoencoder fusion" (the CAM paper's columns plus Q^AB/F and MI):
                             imagefusion bench --methods densefuse:rule=add,densefuse:rule=l1,cam-fusion:variant=paper,
                                 cam-fusion:variant=no-ldf,cam-fusion:variant=l1,gff,lp
                                 --datasets ivif/tno,ivif/roadscene --metrics en,ag,scd,ssim,viff,qabf,mi
                                 --convention vifb --out <out>/autoencoder --workers 1
* "Autoencoder fusion" reconstruction: python benchmarks/studies/ae_reconstruction.py
* "Autoencoder fusion" speed:    python benchmarks/measure/bench_pair.py ivif --repeat 7
* "Autoencoder fusion", the weight-sum figures: python benchmarks/studies/cam_weight_sum.py
* "MFEnet" (the paper's columns plus Q^AB/F):
                             imagefusion bench --methods mfenet,mfenet:edges=false,mfenet:rule=add,
                                 mfenet:rule=average,mfenet:rule=softmax,gff,dwt,lp,siamese-cnn
                                 --datasets medical/ct-mri --metrics fmi_pixel,scd,ssim,qy,qabf
                                 --convention vifb --out <out>/mfenet --workers 1
* "MFEnet" speed:                python benchmarks/measure/bench_pair.py mif
* "MFEnet" edge sweep:           python benchmarks/studies/mfenet_edges.py --pairs 8

The bench runs use a fresh output folder unless ``--out`` already holds a cache (then nothing is
fused again and only the reports are rebuilt).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VIFB13 = "ag,ce,ei,en,mi,psnr,qabf,qcb,qcv,rmse,sf,ssim,sd"
AE_METHODS = "densefuse:rule=add,densefuse:rule=l1,cam-fusion:variant=paper,cam-fusion:variant=no-ldf,cam-fusion:variant=l1,gff,lp"
MFENET_METHODS = "mfenet,mfenet:edges=false,mfenet:rule=add,mfenet:rule=average,mfenet:rule=softmax,gff,dwt,lp,siamese-cnn"
SETS = [("ivif", "ivif/tno"), ("mff", "mff/lytro"), ("mif", "medical/ct-mri")]


def run(cmd: list[str]) -> str:
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared")
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print("## Speed (methods)\n")
    print(run([sys.executable, str(HERE.parent / "measure" / "bench_methods.py"), "--data", str(args.shared / "data/ivif/tno")]))
    print("## Metrics (speed)\n")
    print(run([sys.executable, str(HERE.parent / "measure" / "bench_metrics.py"), "--golden", str(args.shared / "golden"), "--repeat", "5"]))
    print("## Benchmark\n")
    print(run([sys.executable, str(HERE.parent / "measure" / "metric_costs.py"), "--shared", str(args.shared)]))
    for task, rel in SETS:
        out = args.out / Path(rel).name
        run(["imagefusion", "bench", "--methods", "all", "--task", task, "--datasets", str(args.shared / "data" / rel),
             "--metrics", VIFB13, "--convention", "vifb", "--out", str(out), "--workers", str(args.workers)])
        report = (out / "report.md").read_text(encoding="utf-8")
        print(report.split("\n## ", 1)[1].join(["### ", "\n"]) if "\n## " in report else report)
    print("## Siamese CNN\n")
    out = args.out / "siamese"
    run(["imagefusion", "bench", "--methods", "gff,dwt,cnn-liu2017,siamese-cnn", "--datasets",
         ",".join(str(args.shared / "data" / r) for r in ("mff/lytro", "mff/mffw", "medical/ct-mri")),
         "--metrics", "mi,ag,qabf", "--convention", "vifb", "--out", str(out), "--workers", "1"])
    print((out / "report.md").read_text(encoding="utf-8"))
    print(run([sys.executable, str(HERE.parent / "measure" / "bench_deep.py"), "--repeat", "3"]))
    others = "mfenet,densefuse,cam-fusion"
    print(run([sys.executable, str(HERE.parent / "measure" / "bench_deep.py"), "--repeat", "1", "--methods", others, "--big-methods", others]))
    print(run([sys.executable, str(HERE.parent / "studies" / "siamese_rules.py"), "--data", str(args.shared / "data/mff/lytro"), "--per-level"]))
    print("## Autoencoder fusion (DenseFuse, CAM)\n")
    out = args.out / "autoencoder"
    run(["imagefusion", "bench", "--methods", AE_METHODS, "--datasets",
         ",".join(str(args.shared / "data" / r) for r in ("ivif/tno", "ivif/roadscene")),
         "--metrics", "en,ag,scd,ssim,viff,qabf,mi", "--convention", "vifb", "--out", str(out), "--workers", "1"])
    print((out / "report.md").read_text(encoding="utf-8"))
    print(run([sys.executable, str(HERE.parent / "studies" / "ae_reconstruction.py"), "--data", str(args.shared / "data")]))
    print(run([sys.executable, str(HERE.parent / "measure" / "bench_pair.py"), "ivif", "--repeat", "7", "--data", str(args.shared / "data")]))
    print(run([sys.executable, str(HERE.parent / "studies" / "cam_weight_sum.py"), "--data", str(args.shared / "data/ivif/tno")]))
    print("## MFEnet\n")
    out = args.out / "mfenet"
    run(["imagefusion", "bench", "--methods", MFENET_METHODS, "--datasets", str(args.shared / "data/medical/ct-mri"),
         "--metrics", "fmi_pixel,scd,ssim,qy,qabf", "--convention", "vifb", "--out", str(out), "--workers", "1"])
    print((out / "report.md").read_text(encoding="utf-8"))
    print(run([sys.executable, str(HERE.parent / "measure" / "bench_pair.py"), "mif", "--data", str(args.shared / "data")]))
    print(run([sys.executable, str(HERE.parent / "studies" / "mfenet_edges.py"), "--pairs", "8", "--data", str(args.shared / "data")]))


if __name__ == "__main__":
    main()
