"""Course material made from the chapters: assignments with autograders, and the student
edition of the book.

Every exercise has one source, its chapter notebook, written with these conventions:

- the exercise is a markdown cell holding one ``{exercise}`` directive with a
  ``:label:`` (``chNN-exK``, K its number in the chapter);
- its solution text is the next markdown cell, a ``{solution}`` directive for that label
  with ``:class: dropdown``;
- solution code cells carry the tag ``solution``; a line ``# Answer: name, name`` in one
  names the variables the exercise asks for (the assignment's answer cell defines them);
- autograder tests are code cells with the tags ``autograde`` and ``remove-cell``: plain
  assertions about the answer (a value, a shape, a property), run by nbval on the
  reference solution with the rest of the chapter; a first line ``# hidden test`` keeps
  one from the students' notebook;
- a markdown cell with the tags ``rubric`` and ``remove-cell`` holds the rubric of a
  written (derivation) part, one point per item;
- code cells with the tag ``assignment-setup`` are the part of the chapter the exercises
  need; the assignment runs only them, not the chapter's long runs.

``python -m lossless_tutorial.course assignments`` writes, for every chapter, an Otter
Grader master notebook and runs ``otter assign`` on it, which writes the student
notebook (no solutions, no outputs, marked answer cells) and the autograder; ``python -m
lossless_tutorial.course student-book`` builds the book without solutions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

# what an assignment needs of book/results: the results files, not a campaign's
# checkpoints or its script
RESULTS_ONLY = shutil.ignore_patterns("*.checkpoints", "campaign.sh")

EXERCISE_RE = re.compile(
    r"^(`{3,}|:{3,})\{exercise\}\s*(?P<title>.*?)\n(?P<rest>.*)\n\1\s*$", re.S
)
SOLUTION_RE = re.compile(
    r"^(`{3,}|:{3,})\{solution\}\s*(?P<label>\S+)\n(?P<rest>.*)\n\1\s*$", re.S
)
LABEL_RE = re.compile(r"^ex(\d+)$")
ANSWER_RE = re.compile(r"^#\s*Answer:\s*(.+)$", re.M)


@dataclass
class Exercise:
    label: str
    number: int
    title: str
    prompt: str
    solution: str = ""
    code: list = field(default_factory=list)  # solution code cells (sources)
    answers: list = field(default_factory=list)  # names the answer cell defines
    tests: list = field(default_factory=list)  # (source, hidden)
    rubrics: list = field(default_factory=list)  # markdown sources

    @property
    def autograded(self) -> bool:
        return bool(self.tests)

    @property
    def rubric_points(self) -> int:
        return sum(len(re.findall(r"^- ", r, flags=re.M)) for r in self.rubrics)


@dataclass
class Chapter:
    path: Path
    title: str
    setup: list  # code sources
    exercises: list

    @property
    def key(self) -> str:
        return "ch" + self.path.name[:2]


def _directive_options(rest: str) -> tuple[dict, str]:
    options, lines = {}, rest.split("\n")
    while lines and lines[0].startswith(":"):
        key, _, value = lines.pop(0)[1:].partition(":")
        options[key.strip()] = value.strip()
    return options, "\n".join(lines).strip()


def read_chapter(path: str | Path) -> Chapter:
    """The exercises of a chapter notebook, with their solutions, tests and rubrics."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0].source.split("\n", 1)[0].lstrip("# ").strip()
    setup, exercises, current = [], [], None
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        source = cell.source.strip()
        if cell.cell_type == "markdown" and (m := EXERCISE_RE.match(source)):
            options, body = _directive_options(m["rest"])
            label = options.get("label", "")
            number = LABEL_RE.match(label.rpartition("-")[2])
            if not number:
                raise ValueError(
                    f"{path.name}: exercise label {label!r} is not chNN-exK"
                )
            current = Exercise(label, int(number[1]), m["title"].strip(), body)
            exercises.append(current)
        elif cell.cell_type == "markdown" and (m := SOLUTION_RE.match(source)):
            if current is None or m["label"] != current.label:
                raise ValueError(
                    f"{path.name}: solution {m['label']} does not follow its exercise"
                )
            current.solution = _directive_options(m["rest"])[1]
        elif "rubric" in tags:
            current.rubrics.append(source)
        elif cell.cell_type == "code" and "autograde" in tags:
            first, _, rest = source.partition("\n")
            current.tests.append(
                (
                    rest if first.startswith("#") else source,
                    first.lower().startswith("# hidden"),
                )
            )
        elif cell.cell_type == "code" and "solution" in tags:
            current.code.append(source)
            for names in ANSWER_RE.findall(source):
                current.answers += [n.strip() for n in names.split(",") if n.strip()]
        elif cell.cell_type == "code" and "assignment-setup" in tags:
            setup.append(source)
    return Chapter(path, title, setup, exercises)


def chapters() -> list[Path]:
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


# -------------------------------------------------------------------------- assignments


def _plain_markdown(text: str) -> str:
    """MyST roles that plain Markdown readers do not know, as text."""
    text = re.sub(r"\{cite[:a-z]*\}`([^`]*)`", r"[\1]", text)
    return re.sub(r"\{(?:ref|numref|eq|doc)\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)


def _raw(text: str):
    import nbformat

    return nbformat.v4.new_raw_cell(text)


def _answer_cell(exercise: Exercise, code: str) -> str:
    names = exercise.answers
    prompt = (
        [
            f"# Exercise {exercise.number}: your answer. Define "
            + ", ".join(f"`{n}`" for n in names)
            + "."
        ]
        if names
        else [f"# Exercise {exercise.number}: your code (optional)."]
    )
    prompt += [f"{n} = ..." for n in names]
    return "\n".join(prompt + ["# BEGIN SOLUTION NO PROMPT", code, "# END SOLUTION"])


def master_notebook(chapter: Chapter, *, files=("results",)):
    """The Otter Assign master notebook of a chapter: setup, then one question per
    autograded part and one per written part of every exercise."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    config = {
        "name": chapter.key,
        "init_cell": True,
        "check_all_cell": True,
        "export_cell": {"pdf": False, "run_tests": False},
        "generate": {"pdf": False, "show_stdout": True, "show_hidden": True},
        "run_tests": True,
        "files": [f for f in files],
        "tests": {"files": False, "ok_format": True},
    }
    import yaml

    cells = [
        _raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)),
        new_markdown_cell(
            f"# Assignment: {chapter.title}\n\n"
            f"The exercises of the chapter *{chapter.title}* of "
            "*Learning without loss*. "
            "Run the setup cells first. Write code answers where a cell says "
            "`...` (keep the variable names: the autograder reads them) and written "
            "answers in the cells that say *Type your answer here*. "
            '`grader.check("exK")` runs the public tests of a question; the autograder '
            "also runs hidden ones."
        ),
    ]
    if chapter.setup:
        cells.append(
            new_markdown_cell("## Setup\n\nThe part of the chapter the exercises use.")
        )
        cells += [new_code_cell(s) for s in chapter.setup]
    cells.append(new_markdown_cell("## Exercises"))
    for ex in chapter.exercises:
        prompt = new_markdown_cell(
            f"### Exercise {ex.number}: {ex.title}\n\n" + _plain_markdown(ex.prompt)
        )
        solution_md = new_markdown_cell(
            "**Reference solution.**\n\n" + _plain_markdown(ex.solution)
        )
        questions = []
        if ex.autograded:
            q = [
                _raw(f"# BEGIN QUESTION\nname: ex{ex.number}\npoints: {len(ex.tests)}"),
                _raw("# BEGIN SOLUTION"),
            ]
            q += [new_code_cell(_answer_cell(ex, c)) for c in ex.code]
            q += [_raw("# END SOLUTION"), _raw("# BEGIN TESTS")]
            q += [
                new_code_cell(("# hidden\n" if hidden else "") + src)
                for src, hidden in ex.tests
            ]
            q += [_raw("# END TESTS"), _raw("# END QUESTION")]
            questions.append(q)
        if ex.rubrics:
            name = f"ex{ex.number}_written" if ex.autograded else f"ex{ex.number}"
            q = [
                _raw(
                    f"# BEGIN QUESTION\nname: {name}\nmanual: true\n"
                    f"points: {ex.rubric_points}"
                ),
                new_markdown_cell(
                    f"*Exercise {ex.number}, written answer* (derivations and "
                    "explanations; graded by hand with a rubric)."
                ),
                _raw("# BEGIN SOLUTION"),
                solution_md,
            ]
            if not ex.autograded:
                q += [new_code_cell(_answer_cell(ex, c)) for c in ex.code]
            q += [new_markdown_cell(_plain_markdown(r)) for r in ex.rubrics]
            q += [_raw("# END SOLUTION"), _raw("# END QUESTION")]
            questions.append(q)
        if not questions:
            continue
        # the exercise text is the first question's prompt
        questions[0].insert(1, prompt)
        for q in questions:
            cells += q
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_assignment(chapter_path, out_dir, *, run_tests=True, quiet=True) -> Path:
    """Writes ``out_dir/<chNN>/{source,student,autograder}``; returns the chapter's
    folder."""
    import nbformat

    chapter = read_chapter(chapter_path)
    target = Path(out_dir).resolve() / chapter.key
    if target.exists():
        shutil.rmtree(target)
    source = target / "source"
    source.mkdir(parents=True)
    shutil.copytree(BOOK / "results", source / "results", ignore=RESULTS_ONLY)
    master = source / f"{chapter.key}.ipynb"
    nbformat.write(master_notebook(chapter), master)
    command = [sys.executable, "-m", "otter", "assign", "-v", str(master), str(target)]
    if not run_tests:
        command.insert(-2, "--no-run-tests")
    done = subprocess.run(command, cwd=source, capture_output=quiet, text=True)
    if done.returncode:
        raise RuntimeError(
            f"otter assign failed for {chapter.key}:\n{done.stdout}\n{done.stderr}"
        )
    return target


def autograder_zip(assignment: Path) -> Path:
    return next((Path(assignment) / "autograder").glob("*.zip"))


def grade(assignment: Path, notebook: Path) -> dict:
    """Runs the autograder of an assignment on a notebook (``otter run``, no container);
    returns {question: (score, possible)}."""
    assignment, notebook = Path(assignment), Path(notebook)
    with tempfile.TemporaryDirectory() as tmp:
        submission = Path(tmp) / notebook.name
        shutil.copy(notebook, submission)
        shutil.copytree(
            notebook.parent / "results",
            Path(tmp) / "results",
            dirs_exist_ok=True,
            ignore=RESULTS_ONLY,
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "otter",
                "run",
                "--no-logo",
                "-a",
                str(autograder_zip(assignment).resolve()),
                "-o",
                tmp,
                str(submission),
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"otter run failed:\n{done.stdout}\n{done.stderr}")
        results = json.loads((Path(tmp) / "results.json").read_text())
    if not results.get("tests"):
        raise RuntimeError(f"otter run gave no test results: {results}")
    return {
        t["name"]: (t["score"], t["max_score"])
        for t in results["tests"]
        if t.get("max_score") is not None
    }


def summary(paths=None) -> list[dict]:
    """Per chapter: exercises, autograded ones, ones with a rubric."""
    rows = []
    for path in paths or chapters():
        ch = read_chapter(path)
        rows.append(
            {
                "chapter": ch.key,
                "title": ch.title,
                "exercises": len(ch.exercises),
                "autograded": [e.number for e in ch.exercises if e.autograded],
                "rubric": [e.number for e in ch.exercises if e.rubrics],
            }
        )
    return rows


# ------------------------------------------------------------------------- student book


def write_student_sources(out_dir) -> Path:
    """A copy of the book's sources without solution code cells (or their outputs), the
    autograder tests and the rubrics, configured with ``hide_solutions: true``."""
    import nbformat
    import yaml

    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(
        BOOK,
        out / "book",
        ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "*.checkpoints", "campaign.sh"
        ),
    )
    for path in (out / "book").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [
            c
            for c in nb.cells
            if not {"solution", "autograde", "rubric"} & set(c.metadata.get("tags", []))
        ]
        nbformat.write(nb, path)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["title"] += " (student edition)"
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return out


def build_student_book(out_dir, *, extra_args=()) -> Path:
    """Builds the student edition's HTML into ``out_dir/_build/html``."""
    src = write_student_sources(Path(out_dir).resolve() / "source")
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(src),
        "--config",
        str(src / "_config.yml"),
        "--toc",
        str(src / "book" / "_toc.yml"),
        "--path-output",
        str(Path(out_dir).resolve()),
        *extra_args,
    ]
    subprocess.run(command, check=True, cwd=src)
    return Path(out_dir) / "_build" / "html"
