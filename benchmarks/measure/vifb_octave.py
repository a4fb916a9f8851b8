"""Our ports of VIFB's classical methods against VIFB's own MATLAB code under GNU Octave: time and output,
side by side on the same CPU.

Run:  python benchmarks/measure/vifb_octave.py --vifb PATH/TO/VIFB [--methods hybrid-msd,gff] [--repeats 3]
      [--shared ../shared]

Needs ``octave`` with its image package and ``mkoctfile`` (Debian: ``octave octave-image liboctave-dev``)
and a checkout of VIFB (github.com/xingchenzhang/VIFB). Each method's VIFB folder is copied to a temporary
folder (Hybrid-MSD's ``fast_blf.cpp`` compiled there with ``mkoctfile --mex -O2``); one Octave process
runs VIFB's ``run_<NAME>(imgVI, imgIR, 0)`` (GFF: its ``GFF``, see ``GFF_CALL``) on every pair, ``--repeats`` times, each call timed with
``tic``/``toc`` (reading the two files included); then, in this process, ``imagefusion.fuse([ir, vi],
method)`` is timed the same way on the same pairs (one warm-up call first). Run it on an otherwise idle
machine: the two sides run one after the other. The
pairs: VIFB's ``kettle``, ``labMan`` and ``snow`` (``shared/golden/vifb``), TNO ``01`` and a RoadScene
pair resized to 640×480 (colour visible, grey infrared). Output: VIFB's ``uint8`` image against ours
rounded the same way, PSNR in dB over all channels. Prints one Markdown table: per method and pair,
the median seconds of each, the ratio, and the PSNR.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import imagefusion
from imagefusion.io import read_image_raw

HERE = Path(__file__).resolve()
VIFB_NAMES = {"hybrid-msd": "Hybrid_MSD", "gff": "GFF"}
#: VIFB's ``run_GFF`` writes its inputs as JPEGs to a folder and reads them back (``load_images``); this
#: calls its ``GFF`` on the sources as ``load_images`` stacks them (uint8, a grey source beside a colour
#: one repeated in three channels), without the JPEG round trip.
GFF_CALL = """function img = vifb_gff(vi, ir)
  A = imread(vi); B = imread(ir);
  if size(A, 3) ~= size(B, 3)
    if size(A, 3) == 1, A = repmat(A, [1 1 3]); else, B = repmat(B, [1 1 3]); end
  end
  if size(A, 3) == 3, I = cat(4, A, B); else, I = cat(3, A, B); end
  img = GFF(I);
end
"""
CALLS = {"Hybrid_MSD": "img = run_Hybrid_MSD(a, b, 0);", "GFF": "img = vifb_gff(a.img, b.img);"}


def pairs(shared: Path, tmp: Path) -> dict[str, tuple[Path, Path]]:
    golden = shared / "golden" / "vifb"
    out = {name: (golden / "ir" / f"{name}.jpg", golden / "vi" / f"{name}.jpg") for name in ("kettle", "labMan", "snow")}
    out["tno-01"] = (shared / "data/ivif/tno/ir/01.png", shared / "data/ivif/tno/vi/01.png")
    ir = cv2.imread(str(shared / "data/ivif/roadscene/ir/FLIR_00977.jpg"), cv2.IMREAD_GRAYSCALE)
    vi = cv2.imread(str(shared / "data/ivif/roadscene/vi/FLIR_00977.jpg"), cv2.IMREAD_COLOR)
    for side, img in (("ir", ir), ("vi", vi)):
        cv2.imwrite(str(tmp / f"road640-{side}.png"), cv2.resize(img, (640, 480), interpolation=cv2.INTER_AREA))
    out["roadscene-640x480"] = (tmp / "road640-ir.png", tmp / "road640-vi.png")
    return out


def run_octave(vifb: Path, name: str, todo: dict[str, tuple[Path, Path]], tmp: Path, repeats: int) -> dict[str, float]:
    """VIFB's run_<name> on every pair under Octave: median seconds per pair; fused images to tmp/<name>/."""
    work = tmp / name
    shutil.copytree(vifb / "methods" / name, work, dirs_exist_ok=True)
    for cpp in work.glob("*.cpp"):  # a MEX source (Hybrid-MSD's fast_blf): compiled optimised for Octave
        subprocess.run(["mkoctfile", "--mex", "-O2", f"-I{work / 'include'}", cpp.name], cwd=work, check=True,
                       capture_output=True)
    (work / "vifb_gff.m").write_text(GFF_CALL)
    lines = ["pkg load image", f"addpath('{work}');", "more off;"]
    for key, (ir, vi) in todo.items():
        lines += [f"a.img = '{vi}'; b.img = '{ir}'; t = zeros(1, {repeats});",
                  f"for r = 1:{repeats}, s = tic; {CALLS[name]} t(r) = toc(s); end",
                  f"imwrite(img, '{work / (key + '.png')}');",
                  f"printf('TIME {key} %.6f\\n', median(t));"]
    script = tmp / f"drive_{name}.m"
    script.write_text("\n".join(lines) + "\n")
    res = subprocess.run(["octave", "--no-gui", "--quiet", str(script)], cwd=work, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"octave failed on {name}:\n{res.stderr[-2000:]}")
    return {ln.split()[1]: float(ln.split()[2]) for ln in res.stdout.splitlines() if ln.startswith("TIME ")}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if a.ndim != b.ndim:  # ours grey (a grey source stored as RGB is fused as grey), VIFB's three equal channels
        a, b = (x[..., 0] if x.ndim == 3 else x for x in (a, b))
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vifb", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    ap.add_argument("--methods", default="hybrid-msd,gff")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = ["| method | pair | size | Octave s | ours s | ratio | PSNR dB |", "|---|---|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        todo = pairs(args.shared, tmp)
        for method in args.methods.split(","):
            name = VIFB_NAMES[method]
            octave = run_octave(args.vifb, name, todo, tmp, args.repeats)
            for key, (ir, vi) in todo.items():
                imagefusion.fuse([ir, vi], method)  # warm-up: compiled kernels, caches
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    ours = imagefusion.fuse([ir, vi], method)
                    times.append(time.perf_counter() - t0)
                ours8 = np.clip(np.round(ours.astype(np.float64) * 255.0), 0, 255)
                theirs = read_image_raw(tmp / name / f"{key}.png")
                mine = float(np.median(times))
                rows.append(f"| `{method}` | {key} | {theirs.shape[1]}×{theirs.shape[0]} | {octave[key]:.2f} | "
                            f"{mine:.3f} | {octave[key] / mine:.1f}× | {psnr(ours8, theirs):.1f} |")
                print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
