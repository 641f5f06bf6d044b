"""The course material: every exercise has one source; the student edition and the
assignments carry no solutions; the autograders pass the reference solutions and fail
the untouched student notebooks; JupyterLab with the MyST extension is installed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lossless_tutorial import course

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# the chapters whose assignments are generated and graded here (the others by
# `make assignments`, which checks that their reference solutions pass)
GRADED = ["01", "02", "03", "04"]


def _chapter(number: str) -> Path:
    return next(p for p in course.chapters() if p.name.startswith(number))


def _converted(path: Path) -> bool:
    return bool(course.read_chapter(path).exercises)


@pytest.mark.parametrize("path", course.chapters(), ids=lambda p: p.name[:2])
def test_exercises_have_one_source(path):
    nb = nbformat.read(path, as_version=4)
    if not _converted(path):
        assert not any("{exercise}" in c.source for c in nb.cells)
        pytest.skip("exercises not yet in the {exercise}/{solution} form")
    chapter = course.read_chapter(path)
    key = chapter.key
    assert [e.number for e in chapter.exercises] == list(
        range(1, len(chapter.exercises) + 1)
    )
    assert all(e.label == f"{key}-ex{e.number}" for e in chapter.exercises)
    assert not any("{admonition} Solution" in c.source for c in nb.cells), (
        "a solution is still an admonition"
    )
    for ex in chapter.exercises:
        assert ex.solution, f"{ex.label} has no solution"
        assert ex.autograded or ex.rubrics, (
            f"{ex.label} is neither autograded nor has a rubric"
        )
        if ex.autograded:
            assert ex.answers and ex.code, f"{ex.label}: tests without a named answer"
            for name in ex.answers:
                assert f"`{name}`" in ex.prompt, (
                    f"{ex.label}: the prompt does not ask for {name}"
                )
                assert any(re.search(rf"\b{name}\b", src) for src, _ in ex.tests)
    assert sum(e.autograded for e in chapter.exercises) >= 2
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if tags & {"autograde", "rubric"}:
            assert "remove-cell" in tags
        if cell.cell_type == "markdown" and "{solution}" in cell.source:
            assert ":class: dropdown" in cell.source and "{exercise}" not in cell.source


def test_student_sources_have_no_solutions(tmp_path):
    out = course.write_student_sources(tmp_path / "student")
    config = (out / "_config.yml").read_text()
    assert "hide_solutions: true" in config
    for path in (out / "book").glob("*.ipynb"):
        if not _converted(path):  # its solutions are still admonitions (not yet hidden)
            continue
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            assert not {"solution", "autograde", "rubric"} & set(
                cell.metadata.get("tags", [])
            )
            assert "# Solution to Exercise" not in cell.source


def _code_lines(notebook: Path) -> set[str]:
    nb = nbformat.read(notebook, as_version=4)
    return {
        line.strip()
        for c in nb.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if line.strip()
    }


@pytest.mark.parametrize("number", GRADED)
def test_autograder_passes_solutions_and_fails_student_notebook(number, tmp_path):
    path = _chapter(number)
    if not _converted(path):
        pytest.skip(f"chapter {number}: exercises not yet in the {{exercise}} form")
    chapter = course.read_chapter(path)
    target = course.write_assignment(path, tmp_path, run_tests=False)
    student = target / "student" / f"{chapter.key}.ipynb"
    solution = target / "autograder" / f"{chapter.key}.ipynb"

    # the student notebook: no outputs, no solution code, a marked answer cell per
    # answer
    nb = nbformat.read(student, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    answer_lines = _code_lines(student)
    setup_lines = {l.strip() for src in chapter.setup for l in src.splitlines()}
    for ex in chapter.exercises:
        for name in ex.answers:
            assert f"{name} = ..." in answer_lines
        for code in ex.code:
            solution_only = {
                l.strip()
                for l in code.splitlines()
                if l.strip() and not l.strip().startswith("#")
            }
            solution_only -= setup_lines
            assert not solution_only & answer_lines, (
                f"{ex.label}: solution code in the student notebook"
            )
    text = "\n".join(c.source for c in nb.cells)
    assert "Reference solution" not in text and "Rubric" not in text

    autograded = {
        f"ex{e.number}": len(e.tests) for e in chapter.exercises if e.autograded
    }
    assert len(autograded) >= 2
    passed = course.grade(target, solution)
    assert passed == {q: (n, n) for q, n in autograded.items()}, passed
    failed = course.grade(target, student)
    assert failed == {q: (0, n) for q, n in autograded.items()}, failed


def test_jupyterlab_with_the_myst_extension():
    """The README's local route: `jupyter lab` exists and renders MyST."""
    version = subprocess.run(
        [BIN / "jupyter", "lab", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert re.match(r"^4\.\d+\.\d+", version), version
    listing = subprocess.run(
        [BIN / "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    line = next((l for l in text.splitlines() if "jupyterlab-myst" in l), "")
    assert "enabled" in line and "OK" in line, text
    assert "is not compatible" not in text, text


def test_instructor_page_lists_the_exercises():
    """The instructor page's table agrees with the chapters."""
    page = (ROOT / "book" / "instructors.md").read_text()
    rows = {}
    for line in page.splitlines():
        m = re.match(r"^\| (\d+) [^|]*\| (\d+) \| ([\d, ]*) \| ([\d, ]*) \|$", line)
        if m:
            numbers = lambda s: [int(n) for n in s.split(",") if n.strip()]  # noqa: E731
            rows[int(m[1])] = (int(m[2]), numbers(m[3]), numbers(m[4]))
    expected = {
        int(r["chapter"][2:]): (r["exercises"], r["autograded"], r["rubric"])
        for r in course.summary()
        if r["exercises"]
    }
    assert rows == expected
