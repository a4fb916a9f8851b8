"""``imagefusion ui``: a web page to fuse one's own images (Gradio).

Upload two or more registered sources, pick the task and the method (the task's best measured method is
preselected; its parameters are listed with their defaults and valid ranges), fuse, and see the result
beside the sources with the chosen metrics, CAM heat maps where the method explains itself, and a PNG
(8- or 16-bit) to download. Errors (different sizes, unreadable files, bad parameters) appear in the page
as the command line's one-line messages; the server keeps running. Large images go through the same tiled
inference as the CLI.

Install with ``pip install "imagefusion[ui]"``; the page serves on 127.0.0.1 unless ``--host`` or
``--share`` is given, and sends no usage analytics (``GRADIO_ANALYTICS_ENABLED=True`` turns them on).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["build_app", "fuse_for_page", "params_help", "launch", "example_sources", "split_params", "EXAMPLES", "PATH_PARAMS"]

#: Bundled examples by task, built from scikit-image's sample images (:mod:`imagefusion.demo`). There is
#: none for ``ivif`` or ``mif``: no infrared or CT image is available with a licence to ship.
EXAMPLES = {"mff": "multi-focus: scikit-image's astronaut, centre disc and surround defocused in turn",
            "mef": "multi-exposure: scikit-image's coffee at -2 and +2 EV, clipped"}

#: Metrics offered in the page, and the ones ticked at start.
DEFAULT_METRICS = ("en", "sd", "ag", "mi", "qabf", "ssim", "vif", "scd")


def example_sources(task: str, out_dir: str | os.PathLike | None = None) -> list[str]:
    """Write a task's bundled example pair (see :data:`EXAMPLES`) and return the two file paths.

    Parameters
    ----------
    task : {"mff", "mef"}
    out_dir : path, optional
        Where the PNG files go (a new temporary folder by default).

    Returns
    -------
    list of str
        The sources in order (near, far focus; under, over exposed).

    Raises
    ------
    ParameterError
        A task without a bundled example (``ivif``, ``mif``), or an unknown task.

    Examples
    --------
    >>> [Path(p).name for p in example_sources("mef")]
    ['mef_under.png', 'mef_over.png']
    """
    import numpy as np
    from skimage import data

    from .demo import make_multiexposure_pair, make_multifocus_pair
    from .errors import ParameterError
    from .io import write_image

    if task not in EXAMPLES:
        raise ParameterError(f"no bundled example for task {task!r}; examples exist for {', '.join(EXAMPLES)} "
                             "(upload your own sources)")
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="imagefusion-example-"))
    if task == "mff":
        near, far, _ = make_multifocus_pair(data.astronaut().astype(np.float32) / 255.0)
        pair = {"mff_near": near, "mff_far": far}
    else:
        under, over = make_multiexposure_pair(data.coffee().astype(np.float32) / 255.0)
        pair = {"mef_under": under, "mef_over": over}
    return [str(write_image(out / f"{k}.png", v)) for k, v in pair.items()]


def params_help(method: str) -> str:
    """Markdown listing a method's parameters: default and valid values (from the registry).

    Parameters
    ----------
    method : str
        A registry name.

    Returns
    -------
    str

    Raises
    ------
    UnknownNameError
        An unknown method.

    Examples
    --------
    >>> "r1=45" in params_help("gff")
    True
    """
    from .registry import describe_range, get_method

    spec = get_method(method)
    lines = [f"**{spec.name}**: {spec.summary} ({spec.reference})", ""]
    lines += [f"- `{k}={v}` ({describe_range(spec.ranges.get(k))})" for k, v in spec.params.items()]
    return "\n".join(lines) if spec.params else lines[0] + "\n\nNo parameters."


#: Parameters whose value names a file on the server: the page never opens what a visitor types there.
#: ``weights=NAME`` is allowed only when the server names a folder of weights files
#: (``imagefusion ui --weights-dir DIR``), and then only a plain file name inside that folder.
PATH_PARAMS = ("weights", "classifier", "weight_map", "encoder", "decoder")


def split_params(text: str) -> list[str]:
    """The ``key=value`` items of the page's parameter box: one per line or separated by commas; a
    comma inside brackets belongs to a list value (``levels=[2,3]``).

    Parameters
    ----------
    text : str
        What the visitor typed.

    Returns
    -------
    list of str
        The items, stripped, empty ones dropped.

    Examples
    --------
    >>> split_params("r1=45, eps1=0.3\\nlevels=[2,3]")
    ['r1=45', 'eps1=0.3', 'levels=[2,3]']
    """
    items, cur, depth = [], [], 0
    for ch in (text or "") + "\n":
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth = max(0, depth - 1)
        if (ch == "," and depth == 0) or ch == "\n":
            item = "".join(cur).strip()
            if item:
                items.append(item)
            cur, depth = [], depth if ch == "," else 0
        else:
            cur.append(ch)
    return items


def _server_file(key: str, value: Any, weights_dir: str | os.PathLike | None) -> str:
    """A path-valued parameter from the page: refused, or a plain file name inside ``weights_dir``."""
    from .errors import ParameterError

    if key != "weights" or weights_dir is None:
        raise ParameterError(f"parameter {key}= names a file on the server, which this page does not open; "
                             "use the shipped weights, or `imagefusion fuse --weights FILE` on your own machine")
    name = str(value)
    folder = Path(weights_dir).resolve()
    target = (folder / name).resolve()
    if Path(name).name != name or name in ("", ".", "..") or target.parent != folder or not target.is_file():
        known = sorted(p.name for p in folder.glob("*.safetensors"))
        raise ParameterError(f"parameter weights={name!r}: give the name of a file in the server's weights folder "
                             f"({', '.join(known) or 'empty'})")
    return str(target)


def fuse_for_page(files: list[str] | None, method: str, params_text: str = "", bit_depth: int = 8,
                  metrics: list[str] | None = None, out_dir: str | os.PathLike | None = None,
                  device: str | None = None, weights_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """What the page's Fuse button does, without the page: fuse, write the PNG, score, explain.

    Parameters
    ----------
    files : list of path
        The uploaded sources, in order.
    method : str
    params_text : str
        ``key=value`` per line (or separated by commas), parsed as ``imagefusion fuse -p``.
    bit_depth : {8, 16}
    metrics : list of str, optional
        Metric names to score the result with (VIFB convention).
    out_dir : path, optional
        Where the PNG and heat maps go (a new temporary folder by default).
    device : str, optional
        ``cpu``, ``cuda`` or ``auto`` for deep methods (a ``device=`` in ``params_text`` wins).
    weights_dir : path, optional
        The server's folder of weights files; ``weights=NAME`` then picks a file in it by name. Any
        other path-valued parameter (:data:`PATH_PARAMS`), or ``weights=`` without this folder, is
        refused: a page served to others never opens a path its visitor typed.

    Returns
    -------
    dict with ``png`` (path of the fused PNG), ``table`` (Markdown of the metrics), ``heat_maps`` (list of
    paths, CAM methods only) and ``error`` ("" or the one-line message of an :class:`ImageFusionError`).

    Examples
    --------
    >>> import tempfile, numpy as np, imagefusion
    >>> d = tempfile.mkdtemp()
    >>> a = imagefusion.write_image(d + "/a.png", np.zeros((16, 16), np.float32))
    >>> fuse_for_page([str(a)], "gff")["error"]
    'fusion needs at least two sources, got 1'
    """
    from .errors import ImageFusionError
    from .fusion import fuse, load_sources
    from .io import write_image
    from .metrics import evaluate, get_metric
    from .registry import get_method, parse_param

    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="imagefusion-ui-"))
    result: dict[str, Any] = {"png": None, "table": "", "heat_maps": [], "error": ""}
    try:
        spec = get_method(method)
        params = dict(parse_param(spec, item) for item in split_params(params_text))
        for key in [k for k in params if k in PATH_PARAMS and params[k] not in ("", None)
                    and not (k == "weights" and params[k] in ("authors", "own"))]:  # a variant's name, not a path
            params[key] = _server_file(key, params[key], weights_dir)
        if device is not None and "device" in spec.params:
            params.setdefault("device", device)
        sources, _ = load_sources([str(f) for f in (files or [])])
        fused = fuse(sources, spec.name, **params)
        png = write_image(out / f"fused-{spec.name}.png", fused, bit_depth=int(bit_depth))
        result["png"] = str(png)
        if metrics:
            values = evaluate(fused, sources, list(metrics), convention="vifb")
            rows = [f"| {m} | {get_metric(m).direction} | {v:.4f} |" for m, v in values.items()]
            result["table"] = "\n".join(["| metric | better | value |", "|---|---|---:|", *rows])
        if spec.name == "cam-fusion" and params.get("variant") != "l1":
            from .color import split_luminance
            from .explain import write_cam_explanation

            lums, _ = split_luminance(sources)
            opts = {k: params[k] for k in ("variant", "classifier", "device", "precision", "tile") if k in params}
            result["heat_maps"] = [str(p) for p in write_cam_explanation(out / "explain", lums[0], lums[1], **opts)
                                   if p.suffix == ".png"]
    except ImageFusionError as exc:
        result["error"] = str(exc)
    return result


def build_app(device: str | None = None, weights_dir: str | os.PathLike | None = None) -> Any:
    """The Gradio page (a ``gradio.Blocks``); :func:`launch` serves it.

    Parameters
    ----------
    device : str, optional
        Device for the deep methods (``cpu`` by default, ``cuda``, ``auto``).
    weights_dir : path, optional
        The only folder whose weights files the page may load, by name (see :func:`fuse_for_page`).

    Returns
    -------
    gradio.Blocks

    Raises
    ------
    DependencyError
        Gradio is not installed (``pip install "imagefusion[ui]"``).

    Examples
    --------
    >>> type(build_app()).__name__  # launch() serves it
    'Blocks'
    """
    import importlib.util

    from .errors import DependencyError

    if importlib.util.find_spec("gradio") is None:
        raise DependencyError("imagefusion ui needs Gradio: pip install 'imagefusion[ui]'")
    # a local page: no usage reports to Gradio's servers unless the user turns them on
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from .errors import ImageFusionError
    from .metrics import list_metrics
    from .ranking import default_method, method_ranking
    from .registry import TASKS

    def methods_for(task: str) -> list[str]:
        return [m for m, _ in method_ranking(task)]

    with gr.Blocks(title="imagefusion") as app:
        gr.Markdown("# imagefusion\nUpload two or more registered images of one scene, choose a method, fuse.")
        with gr.Row():
            with gr.Column(scale=1):
                files = gr.File(label="Sources (in order: ir/vi, ct/mri, a/b, under/over)", file_count="multiple",
                                type="filepath", elem_id="sources")
                task = gr.Dropdown(list(TASKS), value="ivif", label="Task", elem_id="task")
                example = gr.Button("Load this task's example pair (multi-focus, multi-exposure)", size="sm",
                                    elem_id="example")
                method = gr.Dropdown(methods_for("ivif"), value=default_method("ivif"), label="Method (best measured first; the default preselected)",
                                     elem_id="method")
                params = gr.Textbox(label="Parameters, key=value per line", lines=3, elem_id="params")
                help_box = gr.Markdown(params_help(default_method("ivif")), elem_id="params-help")
                bits = gr.Radio([8, 16], value=8, label="PNG bits per channel", elem_id="bits")
                metric_box = gr.CheckboxGroup([m.name for m in list_metrics()], value=list(DEFAULT_METRICS),
                                              label="Metrics (VIFB convention)", elem_id="metrics-choice")
                button = gr.Button("Fuse", variant="primary", elem_id="fuse")
            with gr.Column(scale=2):
                error = gr.Markdown("", elem_id="error")
                result = gr.Image(label="Fused", type="filepath", format="png", interactive=False, elem_id="result")
                compare = gr.ImageSlider(label="First source | fused: drag to compare", type="filepath", format="png",
                                         interactive=False, elem_id="compare")
                download = gr.File(label="Download the fused PNG", interactive=False, elem_id="download")
                table = gr.Markdown("", elem_id="metric-table")
                heat = gr.Gallery(label="Class activation maps (cam-fusion)", elem_id="heat-maps", columns=2)

        def on_task(t: str) -> Any:
            return gr.update(choices=methods_for(t), value=default_method(t))

        def on_method(m: str) -> str:
            return params_help(m) if m else ""

        def on_fuse(f: list[str] | None, m: str, p: str, b: int, ms: list[str],
                    progress: Any = gr.Progress()) -> tuple[Any, ...]:
            from .runtime import progress_to

            progress(0.1, desc=f"fusing with {m}")
            with progress_to(lambda done, total, what: progress(done / total, desc=f"{m}: {what} {done}/{total}")):
                r = fuse_for_page(f, m, p, b, ms, device=device, weights_dir=weights_dir)
            progress(1.0)
            err = f"**error:** {r['error']}" if r["error"] else ""
            pair = (f[0], r["png"]) if r["png"] and f else None
            return r["png"], pair, r["png"], r["table"], r["heat_maps"], err

        def on_example(t: str) -> tuple[Any, str]:
            try:
                return example_sources(t), ""
            except ImageFusionError as exc:
                return gr.update(), f"**error:** {exc}"

        task.change(on_task, task, method)
        example.click(on_example, task, [files, error])
        method.change(on_method, method, help_box)
        button.click(on_fuse, [files, method, params, bits, metric_box], [result, compare, download, table, heat, error])
    return app


def launch(host: str = "127.0.0.1", port: int | None = None, share: bool = False, block: bool = True,
           device: str | None = None, weights_dir: str | os.PathLike | None = None,
           on_ready: Any = None) -> Any:
    """Serve the page: on ``host`` (127.0.0.1 by default), ``port`` (Gradio's choice by default), a public
    Gradio link only with ``share``. Returns the app (with ``block=False``, while it serves).

    Parameters
    ----------
    host : str, default "127.0.0.1"
        Address to serve on (this machine only, unless another is given).
    port : int, optional
        Port (Gradio's choice by default: 7860 or the next free one).
    share : bool, default False
        Also open a public Gradio link.
    block : bool, default True
        Serve until interrupted; ``False`` returns while it serves (close it with ``app.close()``).
    device : str, optional
        ``cpu``, ``cuda`` or ``auto`` for the deep methods.
    weights_dir : path, optional
        A folder of weights files the page may load by name (``weights=NAME``); none by default.
    on_ready : callable, optional
        Called with the page's local URL once it serves (the CLI prints it).

    Returns
    -------
    gradio.Blocks

    Raises
    ------
    DependencyError
        Gradio is not installed.
    ParameterError
        ``port`` is not in 1–65535, or ``weights_dir`` is not a folder.

    Examples
    --------
    >>> app = launch(port=None, block=False)
    >>> app.close()  # doctest: +ELLIPSIS
    Closing server running on port: ...
    """
    from .errors import ParameterError

    if port is not None and not 1 <= port <= 65535:
        raise ParameterError(f"--port {port}: give a port in 1-65535")
    if weights_dir is not None and not Path(weights_dir).is_dir():
        raise ParameterError(f"--weights-dir {weights_dir}: not a folder")
    app = build_app(device, weights_dir)
    try:
        app.queue().launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True,
                           show_error=False, quiet=True)
    except OSError as exc:  # the port is taken or cannot be bound
        raise ParameterError(f"cannot serve on {host}:{port or 'default'} ({str(exc).splitlines()[0]})") from None
    if on_ready is not None:
        on_ready(app.local_url)
    if block:
        app.block_thread()
    return app
