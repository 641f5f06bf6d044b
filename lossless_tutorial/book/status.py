"""The reproduction status of every result the paper reports, read from the results
files.

:func:`reproduction_status` reads, for every entry of
:data:`~lossless_tutorial.book.results.EXPECTED` (every result the paper reports and
the file that holds our run of it), how much of the paper's protocol the file covers and
how long the run took here; :func:`status_table` renders the rows as a table for a
notebook (the reproduction status page of the back matter). Reading the files and
judging their coverage is :mod:`lossless_tutorial.book.results`'s.

Every row has a ``scale``:

- ``"full"``: the file says ``complete: true`` and its run has at least the paper's
  amounts;
- ``"reduced"``: the file says ``complete: true`` but its run is smaller than the
  paper's (fewer runs, epochs, trials or iterations);
- ``"partial"``: the file does not say ``complete: true``: its run is still going, or
  was stopped. Its numbers are those of an unfinished run, whatever its plan;
- ``"not run"``: there is no readable results file.

A run is never called full unless its file says it is complete.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

# EXPECTED and Expected live in lossless_tutorial.book.results; imported here for the
# status page and the code that found them here
from .results import EXPECTED, Expected, _runs, coverage, read_results  # noqa: F401

__all__ = ["StatusTable", "reproduction_status", "status_table"]


def _last(values, default=0.0):
    return float(values[-1]) if isinstance(values, list) and values else default


def _classifier_seconds(results):
    runs = _runs(results)
    sgd = (results.get("sgd") or {}).get("seconds", [])
    return sum(_last(r.get("wall_time")) for r in runs) + sum(map(float, sgd))


def _seconds(kind, results, select):
    """(wall seconds recorded for the run, core-hours or None): the sum of the times the
    file records for its parts. Core-hours where the file records single-core times
    (LEDM), or for a one-unit run (autoencoder, generative model) whose file records the
    CPUs it used (its threads use them all)."""
    if kind == "ledm":
        per_run = [r for r in results.get("per_run") or [] if isinstance(r, dict)]
        core = sum(float(r.get("seconds", 0.0)) for r in per_run)
        return float(results.get("wall_seconds", 0.0)), core / 3600
    if kind == "letters":
        seconds = float(results.get("rrr_seconds", 0.0))
        return seconds + float(results.get("cd_seconds", 0.0)), None
    if kind in ("majority", "mnist_classifier"):
        return _classifier_seconds(results), None
    if kind == "binary_encoding":
        runs = ((results.get("bits") or {}).get(select) or {}).get("runs", [])
        return sum(float(r.get("seconds", 0.0)) for r in runs), None
    seconds = _last(results.get("wall_time"))
    cpus = results.get("cpus")
    return seconds, (seconds * cpus / 3600 if isinstance(cpus, int) else None)


def _duration(seconds):
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def reproduction_status(results_dir, expected=None) -> list[dict]:
    """One row per result of ``expected`` (a sequence of :class:`Expected`; default
    ``EXPECTED``, every result of the paper), read from the results files in
    ``results_dir``.

    Each row is a dict with the keys ``paper``, ``chapter``, ``section``, ``file``,
    ``scale`` (``"full"``, ``"reduced"``, ``"partial"`` or ``"not run"``, see the
    module's docstring), ``complete`` (the file's flag, None without a file),
    ``done`` (how much of the protocol was run, e.g. ``"7 of 40 epochs done"``),
    ``command`` (recorded in the file, or the command that makes it),
    ``command_recorded``, ``seconds`` (the wall times the file records for its parts,
    summed), ``run_time`` (the same, as text), ``core_hours`` (None unless the file
    records single-core times), ``machine`` and ``date`` (from the file) and ``note``.
    Reading and coverage: :func:`lossless_tutorial.book.results.coverage`.
    """
    rows = []
    for item in EXPECTED if expected is None else expected:
        results = read_results(Path(results_dir) / item.file)
        cover = coverage(item, results)
        row = dict(
            paper=item.paper,
            chapter=item.chapter,
            section=item.section,
            file=item.file,
            note=item.note,
            scale=cover.scale,
            complete=cover.complete,
            done=cover.done,
        )
        if results is None:
            row.update(
                command=item.command,
                command_recorded=False,
                seconds=None,
                run_time="–",
                core_hours=None,
                machine=None,
                date=None,
            )
            rows.append(row)
            continue
        seconds, core_hours = _seconds(item.kind, results, item.select)
        row.update(
            command=results.get("command") or item.command,
            command_recorded=bool(results.get("command")),
            seconds=seconds,
            run_time=_duration(seconds),
            core_hours=core_hours,
            machine=results.get("machine"),
            date=results.get("date"),
        )
        if item.kind == "generative" and results.get("autoencoder"):
            row["note"] = ", ".join(
                filter(
                    None, [row["note"], f"on the autoencoder {results['autoencoder']}"]
                )
            )
        rows.append(row)
    return rows


def _anchor(title):
    """The HTML id Sphinx gives a section titled ``title``."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"^[^a-z]+", "", text)


class StatusTable:
    """The rows of :func:`reproduction_status` as a table: HTML in a notebook (with
    links to the chapters of the built book), Markdown as text."""

    COLUMNS = (
        "paper",
        "book",
        "scale",
        "how much was run",
        "command",
        "run time here",
        "core-hours",
        "results file",
    )

    def __init__(self, rows):
        self.rows = list(rows)

    def _cells(self, row, link):
        number = int(row["chapter"][:2]) if row["chapter"][:2].isdigit() else None
        where = (f"Ch. {number}, " if number else "") + row["section"]
        book = (
            f'<a href="{row["chapter"]}.html#{_anchor(row["section"])}">'
            f"{html.escape(where)}</a>"
            if link
            else where
        )
        done = ("none yet" if row["scale"] == "not run" else row["done"]) + (
            f" ({row['note']})" if row["note"] else ""
        )
        command = (
            row["command"] if row["command_recorded"] else f"(to run) {row['command']}"
        )
        core = "–" if row["core_hours"] is None else f"{row['core_hours']:.2f}"
        written = row["file"] + (f", {row['date'][:10]}" if row.get("date") else "")
        return [
            row["paper"],
            book,
            row["scale"],
            done,
            command,
            row["run_time"],
            core,
            written,
        ]

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in self.COLUMNS)
        body = []
        for row in self.rows:
            cells = self._cells(row, link=True)
            cells = [html.escape(c) if i != 1 else c for i, c in enumerate(cells)]
            cells[4] = f"<code style='white-space: normal'>{cells[4]}</code>"
            if row["scale"] != "full":
                cells[2] = f"<strong>{cells[2]}</strong>"
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (
            f"<table class='reproduction-status' style='font-size: 85%'>"
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def to_markdown(self):
        lines = [
            "| " + " | ".join(self.COLUMNS) + " |",
            "|" + "---|" * len(self.COLUMNS),
        ]
        for row in self.rows:
            cells = self._cells(row, link=False)
            cells[4] = f"`{cells[4]}`"
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)

    def __repr__(self):
        return self.to_markdown()


def status_table(rows) -> StatusTable:
    """A table of the rows of :func:`reproduction_status` that a notebook shows as HTML
    (its text form is Markdown)."""
    return StatusTable(rows)
