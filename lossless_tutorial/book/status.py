"""The reproduction status of every result the paper reports, read from the results files.

Each experiment of :mod:`lossless_tutorial.reproduce` writes one JSON results file; the
book's are in ``book/results/``. ``EXPECTED``, a tuple of :class:`Expected`, lists, for
every result the paper reports (Table 1 and the figures of Secs. 4-6), the file that
holds our run of it, the chapter that shows it and the amounts of the paper's protocol
(runs, epochs, trials).
:func:`reproduction_status` reads the files and says, per result, how much of the
protocol was run and how long it took here; :func:`status_table` renders the rows as a
table for a notebook.

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
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EXPECTED", "Expected", "StatusTable", "reproduction_status", "status_table"]

SCALES = ("full", "reduced", "partial", "not run")


@dataclass(frozen=True)
class Expected:
    """One result the paper reports and where the book keeps our run of it.

    ``paper`` names it in the paper; ``chapter`` (a document of the book) and ``section``
    (a heading of that chapter) say where the book shows it; ``file`` is the results file;
    ``kind`` says how to read it (the ``experiment`` of the file); ``protocol`` holds the
    paper's amounts, e.g. ``{"runs": 20}`` (None where the paper does not state one);
    ``select`` picks an entry of the file (the code size of a binary-encoding file);
    ``command`` makes the file with the paper's protocol; ``note`` is shown in the row.
    """

    paper: str
    chapter: str
    section: str
    file: str
    kind: str
    protocol: dict = field(default_factory=dict)
    select: str | None = None
    command: str = ""
    note: str = ""


_RUN = "python -m lossless_tutorial reproduce"
_CAMPAIGN = "run by make campaign"


def _command(arguments, file):
    return f"{_RUN} {arguments} --output book/results/{file}"


def _majority(paper, file, depth, arguments, *, epochs=1000, sgd=True, note="",
              section="Longer runs from the command line: Figs. 9–12",
              chapter="05_deep_networks"):
    """A majority-circuit result: the paper's 10 runs of ``epochs`` epochs, and 100 SGD
    trials where the figure shows SGD."""
    protocol = {"runs": 10, "epochs": epochs}
    if sgd:
        protocol["SGD trials"] = 100
    return Expected(paper, chapter, section, file, "majority", protocol,
                    command=_command(f"majority --depth {depth} {arguments}", file),
                    note=note)


def _ledm(m, file, arguments, note=""):
    return Expected(f"Table 1, m = {m}", "03_nmf_one_layer_network", "Table 1 at full scale",
                    file, "ledm", {"runs": 20}, command=_command(f"ledm --m {m} {arguments}",
                                                                 file), note=note)


def _binary(n, file, arguments, note=""):
    return Expected(f"Sec. 6.3.1, n = {n} (Figs. 18–19)", "06_autoencoder_ide_codes",
                    "Success rates", file, "binary_encoding", {"runs": None}, select=str(n),
                    command=_command(f"binary-encoding {arguments}", file),
                    note=", ".join(filter(None, [note, "the paper does not state its "
                                                       "number of runs"])))


_AUTOENCODER = dict(paper="Figs. 20–21", chapter="06_autoencoder_ide_codes",
                    section="The full run", kind="mnist_autoencoder", protocol={"epochs": 40})
_GENERATIVE = dict(paper="Figs. 22–24", chapter="07_generative_model",
                   section="The full run (Figs. 22 and 23)", kind="generative",
                   protocol={"epochs": 20, "RRR iterations per batch": 1000})
_DEPTH_2 = dict(chapter="04_classifier_one_hidden_layer",
                section="All 4096 items: the paper's depth-2 experiment")

# Every result the paper reports, in the order of the paper; where the book has an
# earlier run and a run of ``make campaign`` (book/results/campaign.sh, the paper's
# protocol), both, the earlier one first.
EXPECTED: tuple[Expected, ...] = (
    _ledm(6, "ledm_m6.json", "--runs 20"),
    _ledm(8, "ledm_m8.json", "--runs 20"),
    _ledm(12, "ledm_m12.json", "--runs 10 --max-iter 10000000"),
    _ledm(12, "ledm_m12_full.json", "--runs 20 --max-iter 20000000", _CAMPAIGN),
    _ledm(16, "ledm_m16.json", "--runs 20 --max-iter 100000000", _CAMPAIGN),
    *(Expected("Fig. 7", "03_nmf_one_layer_network",
               "Many runs: RRR against coordinate descent (Fig. 7)", file, "letters",
               {"runs": 100}, command=_command(f"letters --runs {runs}", file),
               note=", ".join(filter(None, [note, "runs of RRR and of coordinate descent "
                                                  "each"])))
      for file, runs, note in [("letters.json", 20, ""), ("letters_100.json", 100, _CAMPAIGN)]),
    _majority("Figs. 11–12, depth 2", "majority_d2.json", 2,
              "--seeds 10 --epochs 100 --sgd-trials 20", **_DEPTH_2),
    _majority("Figs. 11–12, depth 2", "majority_d2_e1000.json", 2, "--seeds 10 --epochs 1000",
              note=_CAMPAIGN, **_DEPTH_2),
    _majority("Figs. 9–12, depth 3", "majority_d3.json", 3,
              "--seeds 10 --epochs 100 --sgd-trials 20",
              note="Fig. 9 at 100 iterations per batch, Fig. 10 at Δ = 0.1"),
    _majority("Figs. 9–12, depth 3", "majority_d3_e1000.json", 3, "--seeds 10 --epochs 1000",
              note=f"{_CAMPAIGN}; Fig. 9 at 100 iterations per batch, Fig. 10 at Δ = 0.1"),
    _majority("Figs. 11–12, depth 4", "majority_d4_e1000.json", 4, "--seeds 10 --epochs 1000",
              note=_CAMPAIGN),
    _majority("Fig. 9, 50 iterations per batch", "majority_d3_cap50.json", 3,
              "--seeds 10 --epochs 2000 --max-iter 50", epochs=2000, sgd=False,
              note=_CAMPAIGN),
    _majority("Fig. 9, 200 iterations per batch", "majority_d3_cap200.json", 3,
              "--seeds 10 --epochs 500 --max-iter 200", epochs=500, sgd=False,
              note=_CAMPAIGN),
    *(_majority(f"Fig. 10, Δ = {delta}", f"majority_d3_delta{delta}.json", 3,
                f"--seeds 10 --epochs 1000 --delta {delta} --sgd-trials 0", sgd=False,
                note=note)
      for delta, note in [(0.05, _CAMPAIGN),
                          (0.15, f"{_CAMPAIGN}; Δ = 0.15 and 0.2 are our choice: the paper "
                                 "gives its four values only in the figure"),
                          (0.2, f"{_CAMPAIGN}; Δ = 0.15 and 0.2 are our choice")]),
    *(Expected("Figs. 13–15", "05_deep_networks", "MNIST with eccentric exemptions", file,
               "mnist_classifier", {"runs": 10, "epochs": 200, "SGD trials": 100},
               command=_command(f"mnist-classifier {arguments}", file),
               note=", ".join(filter(None, [note, "exemptions 0.5% and Δ = 0.7 only; "
                                                  "Figs. 13–14 vary them"])))
      for file, arguments, note in [
          ("mnist_classifier.json", "--seeds 1 --epochs 15 --sgd-trials 5", ""),
          ("mnist_classifier_e200.json", "--seeds 3 --epochs 200", _CAMPAIGN)]),
    _binary(3, "binary_encoding_gap1.json", "--runs 20"),
    _binary(4, "binary_encoding_gap1.json", "--runs 20"),
    _binary(4, "binary_encoding_n45.json", "--bits 4 5 --runs 40 --max-iter 2000000",
            _CAMPAIGN),
    _binary(5, "binary_encoding_gap1.json", "--runs 20"),
    _binary(5, "binary_encoding_n45.json", "--bits 4 5 --runs 40 --max-iter 2000000",
            _CAMPAIGN),
    Expected(file="mnist_autoencoder.json",
             command=_command("autoencoder --epochs 40", "mnist_autoencoder.json"),
             note="the stored run that chapters 6 and 7 use", **_AUTOENCODER),
    Expected(file="autoencoder_40epochs.json",
             command=_command("autoencoder --epochs 40", "autoencoder_40epochs.json"),
             note=f"{_CAMPAIGN}, the full protocol", **_AUTOENCODER),
    Expected(file="generative.json",
             command=_command("generative --epochs 20 --max-iter 100 --autoencoder "
                              "book/results/mnist_autoencoder_params.npz", "generative.json"),
             **_GENERATIVE),
    Expected(file="generative_full.json",
             command=_command("generative --epochs 20 --max-iter 1000 --autoencoder "
                              "book/results/autoencoder_40epochs_params.npz",
                              "generative_full.json"),
             note=_CAMPAIGN, **_GENERATIVE),
)

# amounts that are settings of the run (iterations per batch), not counts of work done
_SETTINGS = {"RRR iterations per batch"}


def _read(path):
    """The results dictionary in ``path``, or None (no file, or not a JSON object, e.g.
    while a run replaces it)."""
    try:
        results = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) else None


def _flag(command, name):
    """The integer value of ``--name`` in a command line, or None."""
    found = re.search(rf"--{re.escape(name)}[ =](\d+)", command or "")
    return int(found.group(1)) if found else None


def _last(values, default=0.0):
    return float(values[-1]) if isinstance(values, list) and values else default


def _classifier_amounts(results):
    runs = [r for r in results.get("runs") or [] if isinstance(r, dict)]
    epochs = [r.get("epochs_done", len(r.get("train_error", []))) for r in runs]
    command = results.get("command", "")
    sgd = results.get("sgd") or {}
    return {"runs": (len(runs), _flag(command, "seeds") or len(runs)),
            "epochs": (min(epochs, default=0), results.get("epochs") or max(epochs, default=0)),
            "SGD trials": (int(sgd.get("trials", len(sgd.get("test_error", [])))),
                           _flag(command, "sgd-trials") or 0)}


def _classifier_seconds(results):
    runs = [r for r in results.get("runs") or [] if isinstance(r, dict)]
    sgd = (results.get("sgd") or {}).get("seconds", [])
    return sum(_last(r.get("wall_time")) for r in runs) + sum(map(float, sgd))


def _amounts(kind, results, select):
    """``{name: (done, planned)}``: what the run in ``results`` did and was asked for."""
    if kind == "ledm":
        per_run = [r for r in results.get("per_run") or [] if isinstance(r, dict)]
        cap = results.get("max_iter", 0)
        done = sum(bool(r.get("converged")) or r.get("n_iter", 0) >= cap for r in per_run)
        return {"runs": (done, results.get("runs", len(per_run)))}
    if kind == "letters":
        done = min(len(results.get("rrr_rms_errors", [])), len(results.get("cd_rms_errors", [])))
        return {"runs": (done, results.get("runs", done))}
    if kind in ("majority", "mnist_classifier"):
        return _classifier_amounts(results)
    if kind == "binary_encoding":
        runs = ((results.get("bits") or {}).get(select) or {}).get("runs", [])
        return {"runs": (len(runs), results.get("runs", len(runs)))}
    if kind == "mnist_autoencoder":
        done = results.get("epochs_done", len(results.get("data_error", [])))
        return {"epochs": (done, results.get("epochs", done))}
    if kind == "generative":
        done = results.get("epochs_done", len(results.get("fp_train", [])))
        iterations = results.get("max_iter", 0)
        return {"epochs": (done, results.get("epochs", done)),
                "RRR iterations per batch": (iterations, iterations)}
    raise ValueError(f"unknown kind of results file: {kind!r}")


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
        return float(results.get("rrr_seconds", 0.0)) + float(results.get("cd_seconds", 0.0)), None
    if kind in ("majority", "mnist_classifier"):
        return _classifier_seconds(results), None
    if kind == "binary_encoding":
        runs = ((results.get("bits") or {}).get(select) or {}).get("runs", [])
        return sum(float(r.get("seconds", 0.0)) for r in runs), None
    seconds = _last(results.get("wall_time"))
    cpus = results.get("cpus")
    return seconds, (seconds * cpus / 3600 if isinstance(cpus, int) else None)


def _scale(complete, amounts, protocol):
    if not complete:
        return "partial"
    short = any(paper is not None and amounts.get(name, (0, 0))[0] < paper
                for name, paper in protocol.items())
    return "reduced" if short else "full"


def _done_text(scale, amounts, protocol):
    parts = []
    for name, paper in protocol.items():
        done, planned = amounts.get(name, (0, 0))
        if name in _SETTINGS:
            parts.append(f"{done} of {paper} {name}" if done < paper else f"{done} {name}")
        elif scale == "partial":
            text = f"{done} of {planned} {name} done"
            if paper is not None and planned < paper:
                text += f" (paper: {paper})"
            parts.append(text)
        elif paper is not None and done < paper:
            parts.append(f"{done} of {paper} {name}")
        else:
            parts.append(f"{done} {name}")
    return "; ".join(parts)


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
    ``scale`` (``"full"``, ``"reduced"``, ``"partial"`` or ``"not run"``, see the module's
    docstring), ``complete`` (the file's flag, None without a file), ``done`` (how much
    of the protocol was run, e.g. ``"7 of 40 epochs done"``), ``command`` (recorded in
    the file, or the command that makes it), ``command_recorded``, ``seconds`` (the wall
    times the file records for its parts, summed), ``run_time`` (the same, as text),
    ``core_hours`` (None unless the file records single-core times), ``machine`` and
    ``date`` (from the file) and ``note``.
    """
    rows = []
    for item in EXPECTED if expected is None else expected:
        results = _read(Path(results_dir) / item.file)
        row = dict(paper=item.paper, chapter=item.chapter, section=item.section,
                   file=item.file, note=item.note)
        if results is None:
            row.update(scale="not run", complete=None, done="–", command=item.command,
                       command_recorded=False, seconds=None, run_time="–", core_hours=None,
                       machine=None, date=None)
            rows.append(row)
            continue
        complete = results.get("complete") is True
        amounts = _amounts(item.kind, results, item.select)
        scale = _scale(complete, amounts, item.protocol)
        seconds, core_hours = _seconds(item.kind, results, item.select)
        row.update(scale=scale, complete=complete,
                   done=_done_text(scale, amounts, item.protocol),
                   command=results.get("command") or item.command,
                   command_recorded=bool(results.get("command")), seconds=seconds,
                   run_time=_duration(seconds), core_hours=core_hours,
                   machine=results.get("machine"), date=results.get("date"))
        if item.kind == "generative" and results.get("autoencoder"):
            row["note"] = ", ".join(filter(None, [row["note"], "on the autoencoder "
                                                  f"{results['autoencoder']}"]))
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

    COLUMNS = ("paper", "book", "scale", "how much was run", "command",
               "run time here", "core-hours", "results file")

    def __init__(self, rows):
        self.rows = list(rows)

    def _cells(self, row, link):
        number = int(row["chapter"][:2]) if row["chapter"][:2].isdigit() else None
        where = (f"Ch. {number}, " if number else "") + row["section"]
        book = (f'<a href="{row["chapter"]}.html#{_anchor(row["section"])}">'
                f"{html.escape(where)}</a>" if link else where)
        done = ("none yet" if row["scale"] == "not run" else row["done"]) + (
            f" ({row['note']})" if row["note"] else "")
        command = row["command"] if row["command_recorded"] else f"(to run) {row['command']}"
        core = "–" if row["core_hours"] is None else f"{row['core_hours']:.2f}"
        written = row["file"] + (f", {row['date'][:10]}" if row.get("date") else "")
        return [row["paper"], book, row["scale"], done, command, row["run_time"], core,
                written]

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in self.COLUMNS)
        body = []
        for row in self.rows:
            cells = self._cells(row, link=True)
            cells = [html.escape(c) if i != 1 else c for i, c in enumerate(cells)]
            cells[4] = f"<code style='white-space: normal'>{cells[4]}</code>"
            cells[2] = f"<strong>{cells[2]}</strong>" if row["scale"] != "full" else cells[2]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (f"<table class='reproduction-status' style='font-size: 85%'>"
                f"<thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")

    def to_markdown(self):
        lines = ["| " + " | ".join(self.COLUMNS) + " |",
                 "|" + "---|" * len(self.COLUMNS)]
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
