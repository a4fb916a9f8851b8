"""The method registry: one name → one fusion method.

This module is a leaf: it imports no method. The methods register themselves when their modules are
imported, which ``import imagefusion`` does (``imagefusion.methods``, ``imagefusion.models``), so every method is registered
before any look-up.

A method is a plain function ``f(images, *, param=default, ...) -> fused`` on luminance/grey images
(a list of float32 arrays of one shape (H, W), values in [0, 1]) that returns a float32 (H, W)
array. :func:`register_method` records its tasks, family, whether it needs trained weights, its
parameters (read from the keyword-only arguments and their defaults, which are the paper's), and its
reference. :func:`imagefusion.fuse` adds the colour path, validation and file handling around it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ParameterError, UnknownNameError

__all__ = ["TASKS", "MethodSpec", "register_method", "get_method", "list_methods", "parse_param", "describe_range"]

#: Fusion tasks: infrared–visible, medical, multi-focus, multi-exposure.
TASKS = ("ivif", "mif", "mff", "mef")

_REGISTRY: dict[str, "MethodSpec"] = {}


@dataclass(frozen=True)
class MethodSpec:
    """What the registry knows of one method.

    Attributes
    ----------
    name : str
        Registry name (``"gff"``, ``"lp"``, ...).
    func : callable
        ``func(images, **params) -> ndarray`` on luminance images.
    tasks : tuple of str
        Subset of :data:`TASKS` the method is meant for.
    family : str
        ``"pixel"``, ``"pyramid"``, ``"wavelet"``, ``"filtering"`` or ``"deep"``.
    needs_weights : bool
        Whether the method loads trained network weights (it names networks).
    networks : tuple of str
        The networks (:mod:`imagefusion.nn.registry`) whose shipped weights the method runs; the first
        is always used, later ones by some variants. The bench hashes their files into its cache key.
    params : dict of str to object
        Parameter names and defaults (the paper's values).
    min_sources, max_sources : int, int or None
        How many sources the method accepts (None: no upper bound).
    reference : str
        The paper the implementation follows.
    summary : str
        First line of the function's docstring.
    channel_rule : bool
        Whether ``func(images, channel_rule=True, **params)`` also returns the method's own rule for
        fusing further channels, ``(luminance, rule)``: the colour path then fuses the sources'
        chroma with the same weight or decision map as the luminance
        (:func:`imagefusion.color.fuse_chroma`).
    colour : bool
        The method fuses colour itself: ``func`` receives the sources as read, grey (H, W) or RGB
        (H, W, 3) (grey sources replicated to RGB when any source is in colour), and returns
        (H, W) when every source is grey, else (H, W, 3); the YCbCr path is not used.
    downloads : str
        What the method fetches at first use that ``pip install`` does not install ("" when it runs
        offline with what is installed); a task's default never downloads.
    published : tuple of str
        The published weight files it runs (:mod:`imagefusion.nn.published`: the authors' own
        weights, fetched at first use); the bench puts their SHA-256 into its cache key.
    task_weights : dict of str to str
        Per task, what an empty ``weights`` parameter means where it is not the project's own weights
        (``{"mef": "authors"}``: the weights measured better on that task); ``weights="own"`` always means
        the project's own. See :meth:`resolved_params`.

    Examples
    --------
    >>> import imagefusion
    >>> spec = get_method("lp")
    >>> spec.tasks, spec.params, spec.ranges
    (('ivif', 'mif', 'mff', 'mef'), {'levels': 4}, {'levels': (1, 12)})
    """

    name: str
    func: Callable[..., Any]
    tasks: tuple[str, ...]
    family: str
    needs_weights: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    min_sources: int = 2
    max_sources: int | None = None
    reference: str = ""
    summary: str = ""
    channel_rule: bool = False
    colour: bool = False
    networks: tuple[str, ...] = ()
    ranges: dict[str, Any] = field(default_factory=dict)
    downloads: str = ""
    published: tuple[str, ...] = ()
    task_weights: dict[str, str] = field(default_factory=dict)

    def resolved_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with ``weights`` spelled as what it selects: an empty value becomes the task's
        entry of :attr:`task_weights` (or stays empty: the project's own), ``"own"`` becomes empty.

        Two spellings of the same weights give the same parameters (the bench's cache key is made of
        them).

        Parameters
        ----------
        params : dict
            The method's parameters, defaults filled in (:meth:`check_params`).

        Returns
        -------
        dict

        Examples
        --------
        >>> import imagefusion
        >>> spec = get_method("pmgi")
        >>> [spec.resolved_params(spec.check_params(p))["weights"]
        ...  for p in ({"task": "mef"}, {"task": "mef", "weights": "own"}, {"task": "ivif"})]
        ['authors', '', '']
        """
        if "weights" not in params or not self.task_weights:
            return params
        w = params["weights"]
        if w == "own":
            w = ""
        elif w == "":
            w = self.task_weights.get(params.get("task", ""), "")
        return {**params, "weights": w}

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Merge ``params`` over the defaults, each checked against its type and range.

        A value must have its default's type (an int where the default is an int; a float or an int
        where it is a float; floats finite), and lie in :attr:`ranges` — ``(low, high)`` inclusive, or
        a tuple of the allowed values.

        Raises
        ------
        ParameterError
            An unknown name (the method's parameters are listed), a value of the wrong type, not
            finite, or out of range (the range is named).
        """
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            known = ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or "none"
            raise ParameterError(f"method {self.name!r} has no parameter {', '.join(unknown)}; its parameters: {known}")
        for key, value in params.items():
            _check_value(self.name, key, value, self.params[key], self.ranges.get(key))
        return {**self.params, **params}


def _check_value(method: str, key: str, value: Any, default: Any, allowed: Any) -> None:
    import math
    import numbers

    where = f"parameter {key}={value!r} of {method!r}"
    if isinstance(default, bool):
        if not isinstance(value, (bool, np_bool())):
            raise ParameterError(f"{where}: expected true or false")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ParameterError(f"{where}: expected an integer")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(f"{where}: expected a number")
    elif isinstance(default, str) and not isinstance(value, str):
        raise ParameterError(f"{where}: expected a string")
    elif isinstance(default, (tuple, list)):  # a sequence: each element checked against ``allowed``
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
            raise ParameterError(f"{where}: expected a non-empty list, e.g. {key}={list(default)}")
        if len(value) > 8:
            raise ParameterError(f"{where}: at most 8 entries")
        for item in value:
            try:
                _check_value(method, key, item, default[0] if default else 0, allowed)
            except ParameterError as exc:
                raise ParameterError(f"{where}: each entry {str(exc).split(': ', 1)[-1]} (got {item!r})") from None
        return
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isfinite(value):
        raise ParameterError(f"{where}: must be finite")
    if allowed is None or (value is None and default is None):
        return
    if _is_interval(allowed) and not isinstance(value, str):
        lo, hi = allowed
        if not isinstance(value, numbers.Real) or not lo <= value <= hi:
            raise ParameterError(f"{where}: must be in {describe_range(allowed)}")
    elif value not in allowed:
        raise ParameterError(f"{where}: must be one of {describe_range(allowed, 12)}")


def _is_interval(allowed: Any) -> bool:
    import numbers

    return (isinstance(allowed, tuple) and len(allowed) == 2
            and all(isinstance(a, numbers.Real) and not isinstance(a, bool) for a in allowed))


def describe_range(allowed: Any, limit: int = 8) -> str:
    """A parameter's valid values as text: ``[low, high]``, the allowed values (the first ``limit``,
    then how many in all), or ``any``.

    Parameters
    ----------
    allowed : tuple or None
        A :attr:`MethodSpec.ranges` entry.
    limit : int, default 8

    Returns
    -------
    str

    Examples
    --------
    >>> describe_range((1, 1024)), describe_range(("a", "b")), describe_range(None)
    ('[1, 1024]', 'a, b', 'any')
    >>> describe_range(tuple("abcd"), 2)
    'a, b, … (4 in all)'
    """
    if allowed is None:
        return "any"
    if _is_interval(allowed):
        return f"[{allowed[0]:g}, {allowed[1]:g}]"
    shown = ", ".join(map(str, allowed[:limit]))
    return shown + (f", … ({len(allowed)} in all)" if len(allowed) > limit else "")


def np_bool() -> type:
    import numpy as np

    return np.bool_


#: Ranges shared by the deep methods' inference parameters.
DEEP_RANGES = {"precision": ("auto", "float32", "bfloat16"), "tile": (32, 1 << 16)}


def register_method(
    name: str,
    *,
    tasks: tuple[str, ...],
    family: str,
    reference: str,
    networks: tuple[str, ...] = (),
    min_sources: int = 2,
    max_sources: int | None = None,
    channel_rule: bool = False,
    colour: bool = False,
    ranges: dict[str, Any] | None = None,
    downloads: str = "",
    published: tuple[str, ...] = (),
    task_weights: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator that registers a fusion function under ``name``.

    The function's keyword-only parameters and their defaults become the method's parameters, except
    ``channel_rule``, which the colour path sets (see :attr:`MethodSpec.channel_rule`). A deep method
    names the networks it runs (``networks=("densefuse",)``); that is all the registry needs to find
    its shipped weights. ``ranges`` gives each parameter's valid values: ``(low, high)`` inclusive,
    or a tuple of the allowed values (checked by :meth:`MethodSpec.check_params` before any work).

    Parameters
    ----------
    name : str
        Registry name (lower case, hyphenated: ``"lp-similarity"``).
    tasks : tuple of str
        The tasks it is meant for (:data:`TASKS`); list only those where it passes the safety test.
    family : str
        ``"pixel"``, ``"pyramid"``, ``"wavelet"``, ``"filtering"``, ``"deep"``, ...
    reference : str
        Its paper, short.
    networks : tuple of str, optional
        The networks a deep method runs (:mod:`imagefusion.nn.registry`), first the one whose file a
        ``weights`` parameter replaces.
    min_sources, max_sources : int
        How many sources it fuses (``max_sources=None``: any number).
    channel_rule : bool, default False
        It can fuse the chroma with its own maps (a ``channel_rule`` keyword).
    colour : bool, default False
        It fuses RGB itself (the colour path passes RGB sources).
    ranges : dict, optional
        Each parameter's ``(low, high)`` or tuple of allowed values.
    downloads : str, optional
        What it fetches at first use that the install does not hold (see :attr:`MethodSpec.downloads`).
    published : tuple of str, optional
        The published weight files it runs (see :attr:`MethodSpec.published`).
    task_weights : dict of str to str, optional
        What an empty ``weights`` parameter selects per task (see :attr:`MethodSpec.task_weights`).

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValueError
        A name registered twice, or a task not in :data:`TASKS`.

    Examples
    --------
    >>> import numpy as np
    >>> @register_method("example-min", tasks=("mff",), family="pixel", reference="none")
    ... def example_min(images):
    ...     return np.min(np.stack(images), axis=0)
    >>> get_method("example-min").tasks
    ('mff',)
    >>> _ = _REGISTRY.pop("example-min")
    """
    bad = set(tasks) - set(TASKS)
    if bad:
        raise ValueError(f"unknown task(s) {sorted(bad)} for {name}; tasks are {TASKS}")

    def deco(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"method {name!r} is registered twice")
        sig = inspect.signature(func)
        params = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
            and p.name != "channel_rule"
        }
        if set(ranges or {}) - set(params):
            raise ValueError(f"method {name!r}: ranges for unknown parameters {sorted(set(ranges or {}) - set(params))}")
        if channel_rule and "channel_rule" not in sig.parameters:
            raise ValueError(f"method {name!r} is registered with channel_rule but has no such parameter")
        doc = inspect.getdoc(func) or ""
        _REGISTRY[name] = MethodSpec(
            name=name, func=func, tasks=tuple(tasks), family=family, needs_weights=bool(networks or published),
            networks=tuple(networks), ranges=dict(ranges or {}),
            params=params, min_sources=min_sources, max_sources=max_sources, reference=reference,
            summary=doc.splitlines()[0] if doc else "", channel_rule=channel_rule, colour=colour,
            downloads=downloads, published=tuple(published), task_weights=dict(task_weights or {}),
        )
        return func

    return deco


#: Short names accepted wherever a method name is (``--method cam``); they resolve to one method.
ALIASES = {"cam": "cam-fusion"}


def get_method(name: str) -> MethodSpec:
    """Return the :class:`MethodSpec` registered as ``name`` (or an alias of it, :data:`ALIASES`).

    Parameters
    ----------
    name : str
        A registry name or an alias.

    Returns
    -------
    MethodSpec

    Raises
    ------
    UnknownNameError
        Listing the registered names.

    Examples
    --------
    >>> import imagefusion
    >>> get_method("gff").family, get_method("gff").params["r1"]
    ('filtering', 45)
    """
    try:
        return _REGISTRY[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownNameError(f"unknown method {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def list_methods(task: str | None = None) -> list[MethodSpec]:
    """List the registered methods, optionally only those for one task.

    Parameters
    ----------
    task : {"ivif", "mif", "mff", "mef"} or None

    Returns
    -------
    list of MethodSpec, sorted by family then name

    Raises
    ------
    UnknownNameError
        ``task`` is not one of :data:`TASKS`.

    Examples
    --------
    >>> import imagefusion
    >>> [m.name for m in list_methods("mef") if m.family != "deep"][:3]
    ['average', 'max-abs', 'lp']
    """
    if task is not None and task not in TASKS:
        raise UnknownNameError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    specs = [s for s in _REGISTRY.values() if task is None or task in s.tasks]
    return sorted(specs, key=lambda s: (s.family, s.name))


def parse_param(spec: MethodSpec, text: str) -> tuple[str, Any]:
    """Parse a command-line ``key=value`` into the type of the parameter's default.

    Booleans accept ``true/false/1/0/yes/no``; a parameter whose default is None takes an int,
    a float, or else the string.

    Parameters
    ----------
    spec : MethodSpec
    text : str
        ``key=value`` as given to ``imagefusion fuse -p``.

    Returns
    -------
    tuple of (str, value)
        The key and the value in the default's type.

    Raises
    ------
    ParameterError
        No ``=``, unknown key, or a value that does not parse as the default's type.

    Examples
    --------
    >>> import imagefusion
    >>> parse_param(get_method("gff"), "r1=12"), parse_param(get_method("dwt"), "consistency=no")
    (('r1', 12), ('consistency', False))
    """
    if "=" not in text:
        raise ParameterError(f"parameter {text!r}: expected key=value")
    key, value = (t.strip() for t in text.split("=", 1))
    if key not in spec.params:
        spec.check_params({key: value})  # raises with the list of parameters
    default = spec.params[key]
    if isinstance(default, (tuple, list)):
        return key, _parse_sequence(spec.name, key, value, default)
    try:
        if isinstance(default, bool):
            low = value.lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return key, low in ("true", "1", "yes")
        if isinstance(default, int):
            return key, int(value)
        if isinstance(default, float):
            return key, float(value)
        if default is None:
            for cast in (int, float):
                try:
                    return key, cast(value)
                except ValueError:
                    pass
            return key, value
    except ValueError:
        raise ParameterError(
            f"parameter {key}={value!r} of {spec.name!r}: expected {type(default).__name__}"
        ) from None
    return key, value


def _parse_sequence(method: str, key: str, value: str, default: Sequence[Any]) -> tuple:
    """``[2,3]``, ``(2, 3)``, ``2 3`` or ``2`` as a tuple of the default's element type (int or float)."""
    cast = float if any(isinstance(v, float) for v in default) else int
    inner = value.strip()
    if inner[:1] in "[(" and inner[-1:] in "])":
        inner = inner[1:-1]
    parts = [t for t in inner.replace(",", " ").replace(";", " ").split() if t]
    if not parts:
        raise ParameterError(f"parameter {key}={value!r} of {method!r}: expected one or more "
                             f"{'numbers' if cast is float else 'integers'}, e.g. {key}={list(default)}")
    try:
        return tuple(cast(t) for t in parts)
    except ValueError:
        raise ParameterError(f"parameter {key}={value!r} of {method!r}: expected "
                             f"{'numbers' if cast is float else 'integers'}, e.g. {key}={list(default)}") from None
