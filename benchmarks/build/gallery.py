"""The gallery: every registered method on one real pair per task it lists, beside the sources and the
official networks' outputs (``shared/peers``), each with a zoomed crop; written to ``docs/gallery/``.

Run:  python benchmarks/build/gallery.py [--shared ../shared] [--out docs/gallery] [--height 128]

One page per task (``docs/gallery/<task>.md``) and one full-colour JPEG (quality 95, no chroma
subsampling) per pair (``<task>_<set>_<name>.jpg``): the first row of each panel the whole image scaled to
``--height`` pixels, the second a crop of the region given below at 2× (nearest neighbour). Methods run
with their defaults, in the order of the task's ranking (``src/imagefusion/data/method_ranking.json``;
methods not ranked yet last), the task's default marked; then ``AUTHORS_VARIANTS``, the other weights of
the networks that have both the project's and their authors'. The published networks read their authors'
weights from ``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``) and the VGG16 methods
``<shared>/weights/vgg16_features_imagenet_fp16.safetensors``. Regenerate it after changing a method, and
look at it: a white-out, a halo or a haze shows here before any table.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import imagefusion
from imagefusion.bench.runner import parse_method_label
from imagefusion.fusion import load_sources
from imagefusion.ranking import default_method, method_ranking

ROOT = Path(__file__).resolve().parents[2]
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
    while len(label) > 4 and cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.42, 1)[0][0] > small.shape[1] - 4:
        label = label[:-1]  # what fits the panel
    cv2.putText(bar, label, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, small, zoom], axis=0)


#: The published networks' weights that are a variant of a method (not its default), shown after the methods.
AUTHORS_VARIANTS = {
    "ivif": ["densefuse:weights=authors", "pmgi:weights=authors"],
    "mif": ["pmgi:weights=authors"],
    "mff": ["mff-gan:weights=authors", "pmgi:weights=authors"],
    "mef": ["pmgi:weights=own"],
}

#: Figures of methods on a task they are *not* listed for, showing why: (file stem, task, pair, methods).
WHY_NOT = [("gff_not_mef", "mef", ("mef/mefb", "ICCV_11", ("under", "over"), (0.25, 0.1, 0.4, 0.4)),
            ["gff", "lp", "mertens"])]


def task_methods(task: str) -> list[str]:
    """Every method listed for ``task``: ranked ones best first, then the others by name."""
    ranked = [m for m, _ in method_ranking(task)]
    listed = {spec.name for spec in imagefusion.list_methods(task)}
    return [m for m in ranked if m in listed] + sorted(listed - set(ranked))


def gallery_image(shared: Path, task: str, dataset: str, name: str, folders: tuple[str, ...],
                  crop: tuple[float, float, float, float], height: int, methods: list[str] | None = None) -> np.ndarray:
    root = shared / "data" / dataset
    files = [next((root / f).glob(f"{name}.*")) for f in folders]
    sources, _ = load_sources(files)
    panels = [_panel(s, f, height, crop) for s, f in zip(sources, folders)]
    default = default_method(task)
    for method in methods or task_methods(task) + AUTHORS_VARIANTS.get(task, []):
        base, params = parse_method_label(method)
        label = f"{method} (default)" if method == default and not methods else method
        if "weights" in params:
            label = f"{base} {params['weights']}" + ("'" if params["weights"] == "authors" else "")
        panels.append(_panel(imagefusion.fuse(sources, base, task=task, **params), label, height, crop))
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


TASK_NAMES = {"ivif": "infrared–visible", "mif": "medical", "mff": "multi-focus", "mef": "multi-exposure"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    ap.add_argument("--height", type=int, default=128)
    args = ap.parse_args()
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    vgg16 = args.shared / "weights" / "vgg16_features_imagenet_fp16.safetensors"
    if vgg16.is_file():
        os.environ.setdefault("IMAGEFUSION_VGG16", str(vgg16))
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):  # figures of an earlier layout
        old.unlink()
    index = ["# Gallery", "", "Every method listed for a task, with its defaults, on real pairs of that task, beside "
             "the sources and the official networks' outputs (`official …`, their code with their weights, from "
             "`shared/peers`). Methods are in the order of the task's ranking ([benchmarks](../benchmarks.md)); "
             "the task's default is marked. Under each image, the framed region at 2×. Made by "
             "`python benchmarks/build/gallery.py`.", ""]
    for task, pairs in PAIRS.items():
        page = [f"# Gallery: {TASK_NAMES[task]} ({task})", "",
                f"All {len(task_methods(task))} methods listed for `{task}`, best-ranked first, the default "
                f"(`{default_method(task)}`) marked, then the other weights of the networks that have both the "
                f"project's and their authors' ({', '.join(f'`{v}`' for v in AUTHORS_VARIANTS.get(task, []))}), "
                "beside the sources and the official networks' outputs. "
                "Under each image, the framed region at 2×. Made by `python benchmarks/build/gallery.py`.", ""]
        for dataset, name, folders, crop in pairs:
            img = gallery_image(args.shared, task, dataset, name, folders, crop, args.height)
            fname = f"{task}_{dataset.split('/')[1]}_{name}.jpg"
            _save(img, args.out / fname)
            page += [f"## {dataset} `{name}`", "", f"![{task}: every method on {dataset} {name}]({fname})", ""]
        (args.out / f"{task}.md").write_text("\n".join(page), encoding="utf-8")
        index.append(f"- [{TASK_NAMES[task]}]({task}.md): {', '.join(f'{d} `{n}`' for d, n, _, _ in pairs)}")
    index += ["", "## Why a method is not listed for a task", ""]
    for stem, task, (dataset, name, folders, crop), methods in WHY_NOT:
        img = gallery_image(args.shared, task, dataset, name, folders, crop, args.height, methods)
        _save(img, args.out / f"{stem}.jpg")
        index += [f"`{methods[0]}` on {dataset} `{name}` beside {', '.join(methods[1:])}:", "",
                  f"![{stem}]({stem}.jpg)", ""]
    (args.out / "README.md").write_text("\n".join(index), encoding="utf-8")


def _save(img: np.ndarray, path: Path) -> None:
    """Full-colour JPEG, quality 95, no chroma subsampling (labels and fine detail stay sharp)."""
    Image.fromarray(img).save(path, quality=95, subsampling=0, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
