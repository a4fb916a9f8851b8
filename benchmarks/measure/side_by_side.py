"""One row of a side-by-side run (``*_reference.py``): our method and the authors' code on the same
sources, timed alike, outputs compared on the 8-bit scale."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np


def side_by_side(ours: Callable[[], np.ndarray], theirs: Callable[[], tuple[np.ndarray, float]],
                 repeat: int) -> str:
    """Table cells ``ours s | authors' s | speed-up | PSNR dB | max diff``.

    ``ours()`` returns our fused image (float in [0, 1]) and is timed here; ``theirs()`` returns the
    authors' 8-bit output and the seconds it took without file reading. Each runs once to warm up,
    then ``repeat`` times; the medians are compared.
    """
    ours()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = ours()
        times.append(time.perf_counter() - t0)
    theirs()
    runs = [theirs() for _ in range(repeat)]
    ref = runs[-1][0]
    ours8 = np.round(out * 255).astype(np.uint8)
    d = np.abs(ours8.astype(int) - ref.astype(int))
    mse = float(np.mean(d.astype(float) ** 2))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
    a, b = statistics.median(times), statistics.median(t for _, t in runs)
    return f"{a:.3f} | {b:.3f} | {b / a:.2f}× | {psnr:.1f} | {d.max()}"


def grey_sources(files, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The pair's files as 8-bit grey arrays (Pillow's ``convert("L")``), optionally resized (bicubic) to ``size``."""
    from PIL import Image

    ims = [Image.open(f).convert("L") for f in files]
    return [np.asarray(im.resize(size, Image.BICUBIC) if size else im) for im in ims]


def imsave_u8(result: np.ndarray) -> np.ndarray:
    """What ``scipy.misc.imsave`` wrote for a float image: ``bytescale`` over its full range, rounded."""
    from imagefusion.nn.inference import bytescale

    return bytescale(result).astype(np.uint8)


def authors_functions(path, names: tuple[str, ...], namespace: dict) -> dict:
    """The named top-level functions of an authors' script that runs its test loop when imported, taken out of
    its text as they are (``ast``) and defined in ``namespace`` (which supplies their globals, e.g. ``tf``,
    ``reader``); returns ``namespace``."""
    import ast
    from pathlib import Path

    source = Path(path).read_bytes().decode("utf-8", errors="replace")  # some hold non-UTF-8 comments
    keep = [ast.get_source_segment(source, node) for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and node.name in names]
    exec("\n\n".join(keep), namespace)  # noqa: S102 (the authors' functions, verbatim)
    return namespace
