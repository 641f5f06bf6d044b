"""No kernel compiled without fast-math is called from one compiled with it.

numba compiles a jitted function that is first called from another jitted function
with the caller's fast-math flags, and caches it so; later direct calls use that copy.
A kernel without fast-math (whose results must be exact, e.g. the lockstep root solves
of the bilinear projection, bit for bit those of the one-pair solve) would then compute
other bits depending on which caller a process happened to compile first. Functions
inlined at numba's level (``inline="always"``) take the caller's flags by design, so
they are exempt.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap

from numba import njit
from numba.core.registry import CPUDispatcher

import lossless_tutorial


def _modules():
    names = [
        m.name
        for m in pkgutil.walk_packages(lossless_tutorial.__path__, "lossless_tutorial.")
    ]
    skip = (
        "lossless_tutorial.book",
        "lossless_tutorial.course",
        "lossless_tutorial.__",
    )
    return [importlib.import_module(n) for n in names if not n.startswith(skip)]


def _fast(dispatcher):
    return bool(dispatcher.targetoptions.get("fastmath"))


def _callees(module, dispatcher):
    """The jitted functions a jitted function calls by name (``f(...)`` or
    ``module.f(...)``), resolved in its module."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(dispatcher.py_func)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            callee = getattr(module, func.id, None)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            callee = getattr(getattr(module, func.value.id, None), func.attr, None)
        else:
            continue
        if isinstance(callee, CPUDispatcher):
            yield callee


def _leaks(modules):
    found = []
    for module in modules:
        for dispatcher in vars(module).values():
            if not isinstance(dispatcher, CPUDispatcher):
                continue
            if dispatcher.py_func.__module__ != module.__name__ or not _fast(
                dispatcher
            ):
                continue
            for callee in _callees(module, dispatcher):
                inline = callee.targetoptions.get("inline", "never") == "always"
                if not _fast(callee) and not inline:
                    found.append(f"{dispatcher.__name__} -> {callee.__name__}")
    return found


def test_no_plain_kernel_is_called_from_a_fast_math_kernel():
    modules = _modules()
    assert any(m.__name__ == "lossless_tutorial._fused" for m in modules)
    assert _leaks(modules) == []


@njit
def _plain(a):
    return a[0] * a[1] + a[2]


@njit(fastmath=True)
def _fast_caller(a):
    return _plain(a)


def test_the_check_finds_a_plain_kernel_called_from_a_fast_math_one():
    import sys

    assert _leaks([sys.modules[__name__]]) == ["_fast_caller -> _plain"]
