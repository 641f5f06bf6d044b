"""Sphinx extension: number the exercises of every chapter from 1.

Without numbered sections Sphinx numbers enumerable nodes across the whole book, so the
first exercise of chapter 2 would be "Exercise 6". The chapters refer to their own
exercises as Exercise 1, 2, ...; this renumbers each document's exercises in their order
after Sphinx has assigned the numbers (labels ``chNN-exK`` match these numbers).
"""

from __future__ import annotations


def _renumber(app, env):
    for numbers in env.toc_fignumbers.values():
        exercises = numbers.get("exercise")
        if not exercises or any(len(n) != 1 for n in exercises.values()):
            continue
        order = sorted(exercises, key=exercises.get)
        numbers["exercise"] = {ids: (i + 1,) for i, ids in enumerate(order)}
    return []


def setup(app):
    app.setup_extension("sphinx_exercise")
    # after Sphinx's TocTreeCollector (priority 500) has assigned the figure numbers
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
