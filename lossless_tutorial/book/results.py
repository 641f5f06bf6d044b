"""The book's results files: reading them, choosing which file of an experiment a
chapter shows, and saying how much of the paper's protocol that file covers.

Each experiment of :mod:`lossless_tutorial.reproduce` writes one JSON results file; the
book's are in ``book/results/``. A file whose run has not finished (still going, or
stopped) says ``"complete": false``; only a file that says ``"complete": true`` holds
final numbers.

- :func:`read_results` reads one file (None for a missing or half-written file);
  :func:`last_epochs` and :func:`mean_curve` pool the per-epoch errors of its runs;
- ``EXPECTED``, a tuple of :class:`Expected`, lists for every result the paper reports
  (Table 1 and the figures of Secs. 4-6) the file that holds our run of it, the chapter
  that shows it and the paper's amounts (runs, epochs, trials);
- :func:`coverage` says how much of those amounts a file's run covers, with a
  ``scale``: ``"full"`` (complete, with at least the paper's amounts), ``"reduced"``
  (complete, but smaller than the paper's run), ``"partial"`` (not complete) or
  ``"not run"`` (no readable file);
- :func:`choose` picks the file a chapter shows for one experiment: the file of the
  paper's protocol once it says complete, otherwise the smaller (reduced) file that the
  book had before (with ``partial=True`` even an unfinished one), and says which one it
  shows;
- the remaining functions are the results tables of the chapters on NMF (Table 1, the
  letter montages of Fig. 7) and on deep networks (Figs. 9-15); their figures are drawn
  by :mod:`lossless_tutorial.book.plotting_deep`.

:mod:`lossless_tutorial.book.status` turns the same reading into the reproduction
status table of the back matter.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validation import check_nonnegative_int

__all__ = [
    "read_results",
    "is_complete",
    "last_epochs",
    "mean_curve",
    "Expected",
    "EXPECTED",
    "expected",
    "Coverage",
    "coverage",
    "Shown",
    "choose",
    "wrap_command",
    "PAPER_TABLE1",
    "ledm_table",
    "LettersRuns",
    "letters_runs",
    "MAJORITY_DELTA",
    "majority_runs",
    "majority_status",
    "majority_table",
    "mnist_summary",
]

SCALES = ("full", "reduced", "partial", "not run")


# --------------------------------------------------------------------------------------
# Reading a file
# --------------------------------------------------------------------------------------


def read_results(path):
    """The results dictionary in the JSON file ``path``, or None when the file does not
    exist or is not a readable JSON object (e.g. while a run replaces it)."""
    try:
        results = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) else None


def is_complete(results):
    """True only if ``results`` (a results dictionary or None) says
    ``"complete": true``."""
    return isinstance(results, dict) and results.get("complete") is True


# --------------------------------------------------------------------------------------
# What the paper reports, and which file holds our run of it
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One result the paper reports and where the book keeps our run of it.

    ``paper`` names it in the paper; ``chapter`` (a document of the book) and
    ``section`` (a heading of that chapter) say where the book shows it; ``file`` is the
    results file; ``kind`` says how to read it (the ``experiment`` of the file);
    ``protocol`` holds the paper's amounts, e.g. ``{"runs": 20}`` (None where the paper
    does not state one); ``select`` picks an entry of the file (the code size of a
    binary-encoding file); ``command`` makes the file with the paper's protocol;
    ``note`` is shown in the row of the status table.
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


def _majority(
    paper,
    file,
    depth,
    arguments,
    *,
    epochs=1000,
    sgd=True,
    note="",
    section="Longer runs from the command line: Figs. 9–12",
    chapter="05_deep_networks",
):
    """A majority-circuit result: the paper's 10 runs of ``epochs`` epochs, and 100 SGD
    trials where the figure shows SGD."""
    protocol = {"runs": 10, "epochs": epochs}
    if sgd:
        protocol["SGD trials"] = 100
    return Expected(
        paper,
        chapter,
        section,
        file,
        "majority",
        protocol,
        command=_command(f"majority --depth {depth} {arguments}", file),
        note=note,
    )


def _ledm(m, file, arguments, note=""):
    return Expected(
        f"Table 1, m = {m}",
        "03_nmf_one_layer_network",
        "Table 1 at full scale",
        file,
        "ledm",
        {"runs": 20},
        command=_command(f"ledm --m {m} {arguments}", file),
        note=note,
    )


def _binary(n, file, arguments, note=""):
    return Expected(
        f"Sec. 6.3.1, n = {n} (Figs. 18–19)",
        "06_autoencoder_ide_codes",
        "Success rates",
        file,
        "binary_encoding",
        {"runs": None},
        select=str(n),
        command=_command(f"binary-encoding {arguments}", file),
        note=", ".join(
            filter(None, [note, "the paper does not state its number of runs"])
        ),
    )


def _letters(file, runs, note):
    return Expected(
        "Fig. 7",
        "03_nmf_one_layer_network",
        "Many runs: RRR against coordinate descent (Fig. 7)",
        file,
        "letters",
        {"runs": 100},
        command=_command(f"letters --runs {runs}", file),
        note=", ".join(
            filter(None, [note, "runs of RRR and of coordinate descent each"])
        ),
    )


def _mnist(file, arguments, note):
    return Expected(
        "Figs. 13–15",
        "05_deep_networks",
        "MNIST with eccentric exemptions",
        file,
        "mnist_classifier",
        {"runs": 10, "epochs": 200, "SGD trials": 100},
        command=_command(f"mnist-classifier {arguments}", file),
        note=", ".join(
            filter(
                None, [note, "exemptions 0.5% and Δ = 0.7 only; Figs. 13–14 vary them"]
            )
        ),
    )


_AUTOENCODER = dict(
    paper="Figs. 20–21",
    chapter="06_autoencoder_ide_codes",
    section="The full run",
    kind="mnist_autoencoder",
    protocol={"epochs": 40},
)
_GENERATIVE = dict(
    paper="Figs. 22–24",
    chapter="07_generative_model",
    section="The full run (Figs. 22 and 23)",
    kind="generative",
    protocol={"epochs": 20, "RRR iterations per batch": 1000},
)
_DEPTH_2 = dict(
    chapter="04_classifier_one_hidden_layer",
    section="All 4096 items: the paper's depth-2 experiment",
)
_OURS = f"{_CAMPAIGN}; Δ = 0.15 and 0.2 are our choice"
_BINARY_45 = "--bits 4 5 --runs 40 --max-iter 2000000"

# Every result the paper reports, in the order of the paper; where the book has an
# earlier run and a run of ``make campaign`` (book/results/campaign.sh, the paper's
# protocol), both, the earlier one first.
EXPECTED: tuple[Expected, ...] = (
    _ledm(6, "ledm_m6.json", "--runs 20"),
    _ledm(8, "ledm_m8.json", "--runs 20"),
    _ledm(12, "ledm_m12.json", "--runs 10 --max-iter 10000000"),
    _ledm(12, "ledm_m12_full.json", "--runs 20 --max-iter 20000000", _CAMPAIGN),
    _ledm(16, "ledm_m16.json", "--runs 20 --max-iter 100000000", _CAMPAIGN),
    _letters("letters.json", 20, ""),
    _letters("letters_100.json", 100, _CAMPAIGN),
    _majority(
        "Figs. 11–12, depth 2",
        "majority_d2.json",
        2,
        "--seeds 10 --epochs 100 --sgd-trials 20",
        **_DEPTH_2,
    ),
    _majority(
        "Figs. 11–12, depth 2",
        "majority_d2_e1000.json",
        2,
        "--seeds 10 --epochs 1000",
        note=_CAMPAIGN,
        **_DEPTH_2,
    ),
    _majority(
        "Figs. 9–12, depth 3",
        "majority_d3.json",
        3,
        "--seeds 10 --epochs 100 --sgd-trials 20",
        note="Fig. 9 at 100 iterations per batch, Fig. 10 at Δ = 0.1",
    ),
    _majority(
        "Figs. 9–12, depth 3",
        "majority_d3_e1000.json",
        3,
        "--seeds 10 --epochs 1000",
        note=f"{_CAMPAIGN}; Fig. 9 at 100 iterations per batch, Fig. 10 at Δ = 0.1",
    ),
    _majority(
        "Figs. 11–12, depth 4",
        "majority_d4_e1000.json",
        4,
        "--seeds 10 --epochs 1000",
        note=_CAMPAIGN,
    ),
    _majority(
        "Fig. 9, 50 iterations per batch",
        "majority_d3_cap50.json",
        3,
        "--seeds 10 --epochs 2000 --max-iter 50",
        epochs=2000,
        sgd=False,
        note=_CAMPAIGN,
    ),
    _majority(
        "Fig. 9, 200 iterations per batch",
        "majority_d3_cap200.json",
        3,
        "--seeds 10 --epochs 500 --max-iter 200",
        epochs=500,
        sgd=False,
        note=_CAMPAIGN,
    ),
    *(
        _majority(
            f"Fig. 10, Δ = {delta}",
            f"majority_d3_delta{delta}.json",
            3,
            f"--seeds 10 --epochs 1000 --delta {delta} --sgd-trials 0",
            sgd=False,
            note=note,
        )
        for delta, note in [
            (0.05, _CAMPAIGN),
            (0.15, f"{_OURS}: the paper gives its four values only in the figure"),
            (0.2, _OURS),
        ]
    ),
    _mnist("mnist_classifier.json", "--seeds 1 --epochs 15 --sgd-trials 5", ""),
    _mnist("mnist_classifier_e200.json", "--seeds 3 --epochs 200", _CAMPAIGN),
    _binary(3, "binary_encoding_gap1.json", "--runs 20"),
    _binary(4, "binary_encoding_gap1.json", "--runs 20"),
    _binary(4, "binary_encoding_n45.json", _BINARY_45, _CAMPAIGN),
    _binary(5, "binary_encoding_gap1.json", "--runs 20"),
    _binary(5, "binary_encoding_n45.json", _BINARY_45, _CAMPAIGN),
    Expected(
        file="mnist_autoencoder.json",
        command=_command("autoencoder --epochs 40", "mnist_autoencoder.json"),
        note="an earlier, stopped run; chapter 7's reduced generative model uses it",
        **_AUTOENCODER,
    ),
    Expected(
        file="autoencoder_40epochs.json",
        command=_command("autoencoder --epochs 40", "autoencoder_40epochs.json"),
        note=f"{_CAMPAIGN}, the full protocol",
        **_AUTOENCODER,
    ),
    Expected(
        file="generative.json",
        command=_command(
            "generative --epochs 20 --max-iter 100 --autoencoder "
            "book/results/mnist_autoencoder_params.npz",
            "generative.json",
        ),
        **_GENERATIVE,
    ),
    Expected(
        file="generative_full.json",
        command=_command(
            "generative --epochs 20 --max-iter 1000 --autoencoder "
            "book/results/autoencoder_40epochs_params.npz",
            "generative_full.json",
        ),
        note=_CAMPAIGN,
        **_GENERATIVE,
    ),
)


def expected(file, select=None, *, name="file"):
    """The entry of ``EXPECTED`` for the results file ``file`` (and ``select``, the
    code size of a binary-encoding file). A file the book does not know raises a
    ValueError that names the argument ``name``."""
    for item in EXPECTED:
        if item.file == file and (select is None or item.select == str(select)):
            return item
    raise ValueError(
        f"{name}={file!r} is not a results file of the book "
        "(see lossless_tutorial.book.results.EXPECTED)"
    )


# --------------------------------------------------------------------------------------
# How much of the paper's protocol a file covers
# --------------------------------------------------------------------------------------

# amounts that are settings of the run (iterations per batch), not counts of work done
_SETTINGS = {"RRR iterations per batch"}


def _flag(command, name):
    """The integer value of ``--name`` in a command line, or None."""
    found = re.search(rf"--{re.escape(name)}[ =](\d+)", command or "")
    return int(found.group(1)) if found else None


def _runs(results):
    if results is None:
        return []
    if isinstance(results, dict):
        results = results.get("runs") or []
    if not isinstance(results, list):
        return []
    return [run for run in results if isinstance(run, dict)]


def _classifier_amounts(results):
    runs = _runs(results)
    epochs = [r.get("epochs_done", len(r.get("train_error", []))) for r in runs]
    command = results.get("command", "")
    sgd = results.get("sgd") or {}
    return {
        "runs": (len(runs), _flag(command, "seeds") or len(runs)),
        "epochs": (
            min(epochs, default=0),
            results.get("epochs") or max(epochs, default=0),
        ),
        "SGD trials": (
            int(sgd.get("trials", len(sgd.get("test_error", [])))),
            _flag(command, "sgd-trials") or 0,
        ),
    }


def _amounts(kind, results, select):
    """``{name: (done, planned)}``: what the run in ``results`` did and was asked
    for."""
    if kind == "ledm":
        per_run = [r for r in results.get("per_run") or [] if isinstance(r, dict)]
        cap = results.get("max_iter", 0)
        done = sum(
            bool(r.get("converged")) or r.get("n_iter", 0) >= cap for r in per_run
        )
        return {"runs": (done, results.get("runs", len(per_run)))}
    if kind == "letters":
        done = min(
            len(results.get("rrr_rms_errors", [])),
            len(results.get("cd_rms_errors", [])),
        )
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
        return {
            "epochs": (done, results.get("epochs", done)),
            "RRR iterations per batch": (iterations, iterations),
        }
    raise ValueError(f"unknown kind of results file: {kind!r}")


def _scale(complete, amounts, protocol):
    if not complete:
        return "partial"
    short = any(
        paper is not None and amounts.get(name, (0, 0))[0] < paper
        for name, paper in protocol.items()
    )
    return "reduced" if short else "full"


def _done_text(scale, amounts, protocol):
    parts = []
    for name, paper in protocol.items():
        done, planned = amounts.get(name, (0, 0))
        if name in _SETTINGS:
            parts.append(
                f"{done} of {paper} {name}" if done < paper else f"{done} {name}"
            )
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


@dataclass(frozen=True)
class Coverage:
    """How much of the paper's protocol a results file covers: its ``scale`` (one of
    ``"full"``, ``"reduced"``, ``"partial"``, ``"not run"``), its ``complete`` flag
    (None without a file), the text ``done`` (e.g. ``"10 runs; 100 of 1000 epochs"``)
    and the ``amounts`` ``{name: (done, planned)}`` it was read from."""

    scale: str
    complete: bool | None
    done: str
    amounts: dict


def coverage(item, results):
    """The :class:`Coverage` of the results dictionary ``results`` (None: no file) of
    the result ``item`` (an :class:`Expected`).

    A file that does not say ``"complete": true`` is ``"partial"`` whatever it holds; a
    complete file is ``"full"`` when it has at least the paper's amounts, otherwise
    ``"reduced"``.
    """
    if not isinstance(item, Expected):
        raise ValueError(
            f"item must be an Expected (an entry of EXPECTED), got "
            f"{type(item).__name__}"
        )
    if results is None:
        return Coverage("not run", None, "–", {})
    if not isinstance(results, dict):
        raise ValueError("results must be a results dictionary or None")
    complete = is_complete(results)
    amounts = _amounts(item.kind, results, item.select)
    scale = _scale(complete, amounts, item.protocol)
    return Coverage(scale, complete, _done_text(scale, amounts, item.protocol), amounts)


# --------------------------------------------------------------------------------------
# Which file a chapter shows
# --------------------------------------------------------------------------------------


def wrap_command(command, indent="  ", width=88):
    """A long command as shell lines of at most ``width`` characters, broken before
    its options and continued with backslashes."""
    lines = [""]
    for part in command.replace(" --", "\n--").split("\n"):
        if lines[-1] and len(indent) + len(lines[-1]) + len(part) + 5 > width:
            lines.append(part)
        else:
            lines[-1] = f"{lines[-1]} {part}" if lines[-1] else part
    return indent + (" \\\n" + indent + "  ").join(lines)


@dataclass(frozen=True)
class Shown:
    """The file a chapter shows for one experiment (see :func:`choose`).

    ``file`` and ``results`` are the file shown and its contents (None when no file
    is shown); ``scale`` is ``"full"`` (the paper's protocol), ``"reduced"``,
    ``"partial"`` (an unfinished reduced file, shown only with
    ``choose(..., partial=True)``) or ``"none"``; ``done`` says how much of the paper's
    protocol the file covers (``"7 of 40 epochs done"`` for an unfinished file);
    ``full_file`` and ``full_status`` name the file of the longer run (the paper's
    protocol, or the part of it that ``make campaign`` runs) and its state when it is
    not the one shown (``"not run yet"``, or ``"under way: 3 of 10 runs done; ..."``);
    ``command`` made the file shown (or makes the full one, when nothing is shown).
    """

    file: str | None
    results: dict | None
    scale: str
    done: str
    command: str
    full_file: str
    full_status: str | None = None

    @property
    def label(self):
        """A short label for figure titles: ``"10 runs; 100 of 1000 epochs"`` with
        ``", reduced"`` when the file is smaller than the paper's run."""
        if self.file is None:
            return "not recorded"
        parts = [p for p in self.done.split("; ") if "SGD" not in p][:2]
        return "; ".join(parts) + (", reduced" if self.scale == "reduced" else "")

    def describe(self, width=88, *, progress=False):
        """Which file is shown, how much of the paper's protocol it covers and the
        command that made it, in lines of at most ``width`` characters. With
        ``progress``, also how far the longer run has got when a smaller file is shown;
        that changes while the run goes on, so the chapters leave it to the reproduction
        status page."""
        if self.file is None:
            state = self.full_status if progress else "not finished yet"
            lines = textwrap.wrap(
                f"{self.full_file}: {state}; no finished run to show",
                width,
                subsequent_indent="  ",
            )
            return "\n".join(
                lines + ["  its command:", wrap_command(self.command, "    ", width)]
            )
        what = {"full": "the paper's full protocol", "partial": "unfinished"}.get(
            self.scale, "reduced"
        )
        lines = textwrap.wrap(
            f"shown: {self.file}, {what}: {self.done}", width, subsequent_indent="  "
        )
        lines += ["  made by:", wrap_command(self.command, "    ", width)]
        if progress and self.full_status is not None:
            lines += textwrap.wrap(
                f"  the longer run, {self.full_file}: {self.full_status}",
                width,
                subsequent_indent="    ",
            )
        return "\n".join(lines)


def _check_dir(results_dir):
    path = Path(results_dir)
    if not path.is_dir():
        raise ValueError(
            f"results_dir={str(results_dir)!r} is not a folder of results files"
        )
    return path


def choose(results_dir, full, reduced=None, *, select=None, partial=False):
    """Which of an experiment's results files a chapter shows.

    ``full`` is the file of the paper's protocol and ``reduced`` (optional) the smaller
    file of the same experiment that the book had before; both must be files of
    ``EXPECTED``. The full file is shown once it says ``"complete": true``, otherwise
    the reduced file if it says complete; an unfinished file is never shown, except
    that with ``partial=True`` the reduced file is shown unfinished too (a run stopped
    before the end of its protocol), with the scale ``"partial"`` and how much of it
    was done (``"7 of 40 epochs done"``). The full file is shown only once complete,
    whatever ``partial``; with ``partial=True`` and ``reduced`` the same file as
    ``full``, that one file is shown, finished or not. Returns a :class:`Shown`.
    """
    folder = _check_dir(results_dir)
    full_item = expected(full, select, name="full")
    reduced_item = (
        None if reduced is None else expected(reduced, select, name="reduced")
    )
    if reduced_item is not None and reduced_item.kind != full_item.kind:
        raise ValueError(
            f"reduced={reduced!r} is not a file of the same experiment as full={full!r}"
        )
    full_results = read_results(folder / full)
    full_cover = coverage(full_item, full_results)
    if full_cover.complete:
        return Shown(
            full,
            full_results,
            full_cover.scale,
            full_cover.done,
            full_results.get("command") or full_item.command,
            full,
        )
    status = "not run yet" if full_results is None else f"under way: {full_cover.done}"
    if reduced_item is not None:
        results = read_results(folder / reduced)
        cover = coverage(reduced_item, results)
        if cover.complete or (partial and results is not None):
            # a complete file with the paper's amounts is full, whatever its name; an
            # unfinished one (only with partial=True) is "partial"
            return Shown(
                reduced,
                results,
                cover.scale,
                cover.done,
                results.get("command") or reduced_item.command,
                full,
                None if reduced == full else status,
            )
    return Shown(None, None, "none", "–", full_item.command, full, status)


# --------------------------------------------------------------------------------------
# Chapter on NMF: Table 1 and the letter montages (Fig. 7)
# --------------------------------------------------------------------------------------

# the paper's Table 1: m -> (r+, beta, Omega, RRR rate, RRR seconds, RRR GWMs, CD rate)
PAPER_TABLE1 = {
    6: (5, 0.3, 0.6, "100%", 2, 0.02, "1.6%"),
    8: (6, 0.3, 0.7, "100%", 59, 0.61, "< 1%"),
    12: (7, 0.3, 0.8, "100%", 567, 6.27, "< 1%"),
    16: (8, 0.3, 0.9, "100%", 3677, 41.52, "< 1%"),
}
# m -> (file of the paper's protocol, the smaller file the book had before)
_LEDM_FILES = {
    6: ("ledm_m6.json", None),
    8: ("ledm_m8.json", None),
    12: ("ledm_m12_full.json", "ledm_m12.json"),
    16: ("ledm_m16.json", None),
}


def _ledm_row(m, results):
    runs = [r for r in results.get("per_run") or [] if isinstance(r, dict)]
    done = [r for r in runs if r.get("converged")]
    work = np.array([r.get("gwms", np.nan) for r in done] or [np.nan], dtype=float)
    secs = np.array([r.get("seconds", np.nan) for r in done] or [np.nan], dtype=float)
    cd_rate = results.get("cd_rate")
    cd = (
        f"{cd_rate:.0%} of {results.get('cd_starts', '?')}"
        if isinstance(cd_rate, (int, float))
        else "-"
    )
    return (
        f"{m:>3}  {len(done):>4}/{len(runs):<2} {np.median(work):>13.3f} "
        f"{np.mean(work):>7.3f} {np.median(secs):>12.1f} {np.mean(secs):>7.1f}"
        f"   {cd:>9}"
    )


def ledm_table(results_dir, sizes=(6, 8, 12, 16)):
    """Our Table 1 (exact NMF of the LEDM matrices) from the results files, as text:
    one row per size ``m`` (successful starts, their median and mean GWMs and seconds,
    the success rate of coordinate descent), then, per size, the file shown, how much
    of the paper's protocol (20 starts) it covers, the command that made it and the
    state of the full-protocol file when a reduced one is shown."""
    folder = _check_dir(results_dir)
    sizes = list(sizes)
    if not sizes or any(m not in _LEDM_FILES for m in sizes):
        raise ValueError(f"sizes must be among {sorted(_LEDM_FILES)}, got {sizes}")
    rows = ["  m     succ  GWMs: median    mean  sec: median    mean          CD"]
    notes = []
    for m in sizes:
        shown = choose(folder, *_LEDM_FILES[m])
        if shown.file is None:
            rows.append(f"{m:>3}  not recorded yet (see below)")
        else:
            rows.append(_ledm_row(m, shown.results))
        lines = shown.describe().splitlines()
        if shown.file is not None:
            r = shown.results
            ok = sum(bool(x.get("converged")) for x in r.get("per_run") or [])
            lines.insert(
                1,
                f"  {ok} of {r.get('runs', '?')} starts reached the "
                f"tolerance within {r.get('max_iter', 0):.0e} iterations "
                "(paper: all)",
            )
            lines.append(f"  on {r.get('machine', '?')}, {r.get('date', '?')}")
        notes.append(f"m = {m}: " + "\n".join(lines))
    return "\n".join(rows) + "\n\n" + "\n".join(notes)


@dataclass(frozen=True)
class LettersRuns:
    """The runs of the letter-montage experiment (the paper's Fig. 7) a chapter shows:
    the :class:`Shown` file, the final RMS errors of its RRR and CD runs and the number
    of epochs of each RRR run (empty arrays and None when no file is shown)."""

    shown: Shown
    rrr: np.ndarray
    cd: np.ndarray
    epochs: int | None

    def describe(self, width=88):
        """The file shown, its settings and the summary of both methods' errors."""
        lines = [self.shown.describe(width)]
        if self.shown.file is None:
            return lines[0]
        settings = self.shown.results.get("settings") or {}
        if settings:
            lines += textwrap.wrap(
                "  settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
                width,
                subsequent_indent="    ",
            )
        best = min((e.min() for e in (self.rrr, self.cd) if e.size), default=np.nan)
        for name, e in [("RRR", self.rrr), ("CD", self.cd)]:
            if e.size:
                lines.append(
                    f"{name}: {e.size} runs, best {e.min():.4f}, median "
                    f"{np.median(e):.4f}, within 2% of the best run of "
                    f"either method: {np.mean(e < 1.02 * best):.0%}"
                )
        return "\n".join(lines)


def letters_runs(results_dir):
    """The letter-montage runs of ``python -m lossless_tutorial reproduce letters``: the
    100-run file of the paper's Fig. 7 once it is complete, otherwise the 20-run file.
    Returns a :class:`LettersRuns`."""
    shown = choose(results_dir, "letters_100.json", "letters.json")
    if shown.file is None:
        return LettersRuns(shown, np.empty(0), np.empty(0), None)
    r = shown.results
    epochs = (r.get("settings") or {}).get("epochs")
    return LettersRuns(
        shown,
        np.asarray(r.get("rrr_rms_errors", []), dtype=float),
        np.asarray(r.get("cd_rms_errors", []), dtype=float),
        epochs,
    )


# --------------------------------------------------------------------------------------
# Chapter on deep networks: majority circuits (Figs. 9-12) and MNIST (Figs. 13-15)
# --------------------------------------------------------------------------------------

# the paper's margin Delta per depth of the majority circuits
MAJORITY_DELTA = {2: 0.1, 3: 0.1, 4: 0.2}
# setting -> (file of the paper's protocol, the smaller file the book had before)
_MAJORITY_FILES = {
    ("depth", 2): ("majority_d2_e1000.json", "majority_d2.json"),
    ("depth", 3): ("majority_d3_e1000.json", "majority_d3.json"),
    ("depth", 4): ("majority_d4_e1000.json", None),
    ("cap", 50): ("majority_d3_cap50.json", None),
    ("cap", 200): ("majority_d3_cap200.json", None),
    **{("delta", d): (f"majority_d3_delta{d}.json", None) for d in (0.05, 0.15, 0.2)},
}


def majority_runs(results_dir):
    """The majority-circuit files a chapter shows for the paper's Figs. 9-12.

    Returns a dict with ``"depth"`` (depth 2, 3, 4 at 100 iterations per batch and the
    paper's margin), ``"cap"`` (depth 3 at 50, 100 and 200 iterations per batch, Fig. 9)
    and ``"delta"`` (depth 3 at Delta = 0.05, 0.1, 0.15, 0.2, Fig. 10), each mapping the
    setting to a :class:`Shown`. The depth-3 run at cap 100 and Delta = 0.1 is the same
    file in all three.
    """
    folder = _check_dir(results_dir)
    shown = {key: choose(folder, *files) for key, files in _MAJORITY_FILES.items()}
    depth = {d: shown["depth", d] for d in (2, 3, 4)}
    return {
        "depth": depth,
        "cap": {50: shown["cap", 50], 100: depth[3], 200: shown["cap", 200]},
        "delta": {
            0.05: shown["delta", 0.05],
            0.1: depth[3],
            0.15: shown["delta", 0.15],
            0.2: shown["delta", 0.2],
        },
    }


def majority_status(runs):
    """For every setting of :func:`majority_runs` (``runs``), the file shown, how much
    of the paper's protocol it covers and the command that made it (or makes the
    paper's run), as text."""
    blocks = []
    for depth, shown in runs["depth"].items():
        blocks.append((f"depth {depth}, cap 100, Delta {MAJORITY_DELTA[depth]}", shown))
    for cap in (50, 200):
        blocks.append((f"depth 3, cap {cap}, Delta 0.1", runs["cap"][cap]))
    for delta in (0.05, 0.15, 0.2):
        blocks.append((f"depth 3, cap 100, Delta {delta}", runs["delta"][delta]))
    return "\n".join(
        f"{name}:\n" + textwrap.indent(shown.describe(86), "  ")
        for name, shown in blocks
    )


def last_epochs(results, key="test_error", n_last=10):
    """Pool the values of ``key`` over the last ``n_last`` epochs of every run.

    The protocol of the paper's Figs. 10, 11, 13 and 14 (10 runs x final 10 epochs).
    ``results`` is a results dictionary (its ``"runs"``) or a list of runs, each a dict
    of per-epoch lists. Runs without ``key`` are skipped; non-finite values dropped.
    Returns a 1-d array (empty if nothing was found).
    """
    n_last = check_nonnegative_int("n_last", n_last, minimum=1)
    pooled = []
    for run in _runs(results):
        values = run.get(key)
        if not values:
            continue
        values = np.asarray(values, dtype=float)[-n_last:]
        pooled.append(values[np.isfinite(values)])
    return np.concatenate(pooled) if pooled else np.empty(0)


def mean_curve(results, x_key="gwms", y_key="train_error"):
    """Average of ``y_key`` against ``x_key`` over runs, up to the shortest run.

    Returns ``(x, mean_y, curves)`` with ``curves`` the (n_runs, n_epochs) array of the
    runs that have both keys (truncated to the shortest one), or None if there is none.
    ``x`` is the mean of the runs' ``x_key`` values (identical for runs with the same
    work per epoch).
    """
    xs, ys = [], []
    for run in _runs(results):
        x, y = run.get(x_key), run.get(y_key)
        if x and y and len(x) == len(y):
            xs.append(np.asarray(x, dtype=float))
            ys.append(np.asarray(y, dtype=float))
    if not xs:
        return None
    n = min(len(x) for x in xs)
    xs = np.stack([x[:n] for x in xs])
    curves = np.stack([y[:n] for y in ys])
    return xs.mean(axis=0), curves.mean(axis=0), curves


def majority_table(runs):
    """The numbers of the paper's Figs. 11-12 from the files of :func:`majority_runs`
    (``runs``), as text: per depth, the RRR runs whose final training error is 0 and
    their test error (last 10 epochs of every run, pooled); then the SGD trials, the
    fraction with a final training error above 1% and their mean test error."""
    rrr = [
        "depth  file                    scale     runs  final train err = 0  "
        "RRR test mean",
        "                                                                   "
        "(last 10 ep.)",
    ]
    sgd = ["depth  SGD trials  SGD train err > 1%  SGD test mean"]
    for depth, shown in runs["depth"].items():
        if shown.file is None:
            rrr.append(f"{depth:5d}  not recorded yet")
            continue
        r = shown.results
        finals = np.array(
            [run["train_error"][-1] for run in _runs(r) if run.get("train_error")]
        )
        test = last_epochs(r, "test_error")
        mean = test.mean() if test.size else float("nan")
        rrr.append(
            f"{depth:5d}  {shown.file:22s}  {shown.scale:8s}  {finals.size:4d}  "
            f"{np.sum(finals == 0):19d}  {mean:13.4f}"
        )
        s = r.get("sgd") or {}
        train = np.asarray(s.get("train_error", []), dtype=float)
        test = np.asarray(s.get("test_error", []), dtype=float)
        if train.size:
            sgd.append(
                f"{depth:5d}  {train.size:10d}  {np.mean(train > 0.01):18.0%}  "
                f"{test.mean() if test.size else float('nan'):13.4f}"
            )
    return "\n".join(rrr) + "\n\n" + "\n".join(sgd)


def mnist_summary(shown, n_last=10):
    """The MNIST test errors of the :class:`Shown` file ``shown`` (of
    ``choose(results_dir, "mnist_classifier_e200.json", "mnist_classifier.json")``):
    RRR pooled over the last ``n_last`` epochs of every run, SGD over its trials, beside
    the paper's SGD numbers, as text."""
    n_last = check_nonnegative_int("n_last", n_last, minimum=1)
    lines = [shown.describe()]
    if shown.file is None:
        return lines[0]
    r = shown.results
    runs = [run for run in _runs(r) if run.get("test_error")]
    if runs:
        rrr = last_epochs(runs, "test_error", n_last)
        last = min(n_last, min(len(run["test_error"]) for run in runs))
        lines.append(
            f"RRR test error (last {last} epochs x {len(runs)} "
            f"run{'s' * (len(runs) != 1)}): mean {rrr.mean():.4f}, "
            f"min {rrr.min():.4f}"
        )
    sgd = r.get("sgd") or {}
    test = np.asarray(sgd.get("test_error", []), dtype=float)
    if test.size:
        lines.append(
            f"SGD test error ({test.size} trials of at most "
            f"{sgd.get('max_iter', '?')} epochs): mean {test.mean():.4f}, "
            f"min {test.min():.4f}"
        )
    lines.append("  (the paper, 100 SGD trials: mean 0.073, never below 0.061)")
    return "\n".join(lines)
