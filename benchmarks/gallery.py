"""The gallery: every registered method on one real pair per task it lists, beside the sources and the
official networks' outputs (``shared/peers``), each with a zoomed crop; written to ``docs/gallery/``.

Run:  python benchmarks/gallery.py [--shared ../shared] [--out docs/gallery] [--height 128]

One PNG per pair (``<task>_<set>_<name>.png``): the first row the whole images scaled to ``--height``
pixels, the second row a crop of the region given below at 2× (nearest neighbour), each panel labelled; saved with a 256-colour adaptive palette (no dithering) to stay small.
Methods run with their defaults. Regenerate it after changing a method, and look at it: a white-out,
a halo or a haze shows here before any table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import imagefusion
from imagefusion.fusion import load_sources

ROOT = Path(__file__).resolve().parent.parent
#: task → (dataset, pair name, source folders, crop (y, x, h, w) as fractions of the image)
PAIRS = {
    "ivif": [("ivif/roadscene", "FLIR_00977", ("ir", "vi"), (0.45, 0.55, 0.3, 0.3))],
    "mif": [("medical/ct-mri", "11", ("ct", "mri"), (0.3, 0.3, 0.4, 0.4)),
            ("medical/pet-mri", "11", ("pet", "mri"), (0.3, 0.3, 0.4, 0.4))],
    "mff": [("mff/lytro", "lytro_01", ("a", "b"), (0.35, 0.35, 0.3, 0.3))],
    "mef": [("mef/mefb", "Candle", ("under", "over"), (0.3, 0.35, 0.35, 0.35)),
            ("mef/mefb", "ICCV_11", ("under", "over"), (0.25, 0.1, 0.4, 0.4))],
}


def _rgb(im: np.ndarray) -> np.ndarray:
    im = np.clip(np.asarray(im, np.float32), 0, 1)
    return np.repeat(im[..., None], 3, axis=2) if im.ndim == 2 else im


def _panel(im: np.ndarray, label: str, height: int, crop: tuple[float, float, float, float]) -> np.ndarray:
    im = _rgb(im)
    h, w = im.shape[:2]
    small = cv2.resize(im, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)
    y, x, ch, cw = (int(crop[0] * h), int(crop[1] * w), int(crop[2] * h), int(crop[3] * w))
    zoom = im[y:y + ch, x:x + cw]
    zoom = cv2.resize(zoom, (small.shape[1], round(small.shape[1] * ch / cw)), interpolation=cv2.INTER_NEAREST)
    s = height / h
    small = (small * 255).round().astype(np.uint8)
    cv2.rectangle(small, (int(x * s), int(y * s)), (int((x + cw) * s), int((y + ch) * s)), (255, 255, 0), 1)
    zoom = (zoom * 255).round().astype(np.uint8)
    bar = np.full((18, small.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, label[: max(4, small.shape[1] // 8)], (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1,
                cv2.LINE_AA)
    return np.concatenate([bar, small, zoom], axis=0)


#: Figures of methods on a task they are *not* listed for, showing why: (file stem, task, pair, methods).
WHY_NOT = [("gff_not_mef", "mef", ("mef/mefb", "ICCV_11", ("under", "over"), (0.25, 0.1, 0.4, 0.4)),
            ["gff", "lp", "mertens"])]


def gallery_image(shared: Path, task: str, dataset: str, name: str, folders: tuple[str, ...],
                  crop: tuple[float, float, float, float], height: int, methods: list[str] | None = None) -> np.ndarray:
    root = shared / "data" / dataset
    files = [next((root / f).glob(f"{name}.*")) for f in folders]
    sources, _ = load_sources(files)
    panels = [_panel(s, f, height, crop) for s, f in zip(sources, folders)]
    for method in methods or [spec.name for spec in imagefusion.list_methods(task)]:
        panels.append(_panel(imagefusion.fuse(sources, method), method, height, crop))
    for peer in sorted((shared / "peers").iterdir()) if (shared / "peers").is_dir() else []:
        f = peer / dataset.replace("medical/", "medical/") / f"{name}.png"
        if f.is_file():
            panels.append(_panel(imagefusion.read_image(f), f"official {peer.name}", height, crop))
    per_row = 7
    rows = []
    for k in range(0, len(panels), per_row):
        row = panels[k:k + per_row]
        hmax = max(p.shape[0] for p in row)
        row = [np.pad(p, ((0, hmax - p.shape[0]), (0, 4), (0, 0)), constant_values=255) for p in row]
        rows.append(np.concatenate(row, axis=1))
    wmax = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, wmax - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows, axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    ap.add_argument("--height", type=int, default=128)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    lines = ["# Gallery", "", "Every method with its defaults on one real pair per task it lists, beside the sources "
             "and the official networks' outputs (`official …`, from `shared/peers`). Second row: the framed "
             "region at 2×. Made by `python benchmarks/gallery.py`.", ""]
    for task, pairs in PAIRS.items():
        for dataset, name, folders, crop in pairs:
            img = gallery_image(args.shared, task, dataset, name, folders, crop, args.height)
            fname = f"{task}_{dataset.split('/')[1]}_{name}.png"
            _save(img, args.out / fname)
            lines += [f"## {task}: {dataset} `{name}`", "", f"![{task} {name}]({fname})", ""]
    lines += ["## Why a method is not listed for a task", ""]
    for stem, task, (dataset, name, folders, crop), methods in WHY_NOT:
        img = gallery_image(args.shared, task, dataset, name, folders, crop, args.height, methods)
        _save(img, args.out / f"{stem}.png")
        lines += [f"`{methods[0]}` on {dataset} `{name}` beside {', '.join(methods[1:])}:", "",
                  f"![{stem}]({stem}.png)", ""]
    (args.out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _save(img: np.ndarray, path: Path) -> None:
    """PNG with an adaptive 256-colour palette, no dithering: a third of the size, grey levels exact."""
    Image.fromarray(img).convert("P", palette=Image.Palette.ADAPTIVE, colors=256, dither=Image.Dither.NONE).save(
        path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
