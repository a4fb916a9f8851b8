"""PMGI: a fast unified fusion network with proportional maintenance of gradient and intensity.

Source: Zhang, Xu, Xiao, Guo & Ma, AAAI 2020 (:mod:`imagefusion.models.pmgi.network`). One network for every task,
trained once per task with that task's balance of intensity and gradient; ``task=`` picks the weights.
torch is imported only when the method runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import ParameterError
from ...registry import DEEP_RANGES, get_method, register_method

__all__ = ["pmgi"]

_TASKS = ("ivif", "mif", "mff", "mef")
#: The weights an empty ``weights`` selects where the authors' measured better than the project's own
#: (docs/benchmarks.md, mean rank over MEFB's 20 metrics on the 100 MEFB pairs: 10.60 against 10.75); on
#: infrared–visible and multi-focus the project's own measured better, on medical pairs the two tie (11.25).
TASK_WEIGHTS = {"mef": "authors"}


@register_method(
    "pmgi",
    tasks=("ivif", "mif", "mff", "mef"),
    family="deep",
    reference="Zhang, Xu, Xiao, Guo & Ma, 'Rethinking the image fusion: a fast unified image fusion network based "
              "on proportional maintenance of gradient and intensity', AAAI 2020",
    networks=("pmgi", "pmgi.mif", "pmgi.mff", "pmgi.mef"),
    published=tuple(n for t in _TASKS for n in (f"pmgi-{t}", f"pmgi-{t}-index")),
    max_sources=2,
    ranges={"task": _TASKS, **DEEP_RANGES},
    task_weights=TASK_WEIGHTS,
)
def pmgi(images: Sequence[np.ndarray], *, task: str = "ivif", weights: str = "", device: str | None = None,
         precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """PMGI: gradient and intensity paths with pathwise transfer blocks, one weights file per task.

    Parameters
    ----------
    images : sequence of two ndarray, float32, shape (H, W), values in [0, 1]
        Source A then B (infrared–visible, PET/SPECT/CT–MRI, focus 1–2, under–over); any size.
    task : {"ivif", "mif", "mff", "mef"}, default "ivif"
        Which trained weights (``pmgi``, ``pmgi.mif``, ``pmgi.mff``, ``pmgi.mef``).
    weights : str, default "" (the better measured weights of ``task``)
        ``""``: the weights measured better on ``task`` (:data:`TASK_WEIGHTS`): the authors' on
        multi-exposure pairs, the project's own on the other tasks. ``"own"``: the project's shipped
        weights of ``task``. A ``pmgi`` safetensors file from ``imagefusion train pmgi[.TASK]``. ``"authors"``:
        the authors' TensorFlow checkpoint of ``task`` (MIT License; the multi-exposure one ships converted
        in the package, the others are fetched at first use and converted once with ``imagefusion[convert]``)
        run as their ``test_one_image.py`` runs it (:mod:`imagefusion.models.pmgi.authors`: batch norms on the
        image's own statistics, the whole image at once, the output stretched to the full range).
    device, precision, tile
        See :func:`imagefusion.nn.gan.run_generator`.

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        An unknown task.
    WeightsError
        Missing, unreadable or mismatched weights.

    References
    ----------
    Zhang, Xu, Xiao, Guo & Ma, "Rethinking the image fusion: a fast unified image fusion network based on
    proportional maintenance of gradient and intensity", AAAI 2020; code ``HaoZhang1018/PMGI_AAAI2020``.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.9  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = pmgi([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[5, 32] + 0.2)
    ((64, 64), True)
    """
    from ...nn.gan import run_generator
    from .network import PMGI_TASKS

    if task not in PMGI_TASKS:
        raise ParameterError(f"task must be one of {', '.join(PMGI_TASKS)}, got {task!r}")
    weights = get_method("pmgi").resolved_params({"task": task, "weights": weights})["weights"]  # "" = own
    if weights == "authors":
        from .authors import pmgi_authors_fuse

        return pmgi_authors_fuse(images, task=task)
    return run_generator(PMGI_TASKS[task], images, weights=weights, device=device, precision=precision, tile=tile)
