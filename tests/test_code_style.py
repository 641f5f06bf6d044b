"""Code that fits the page: ruff (pyproject.toml: lines of at most 88 characters, rules
E, F and W) passes on the package, the tests, the benchmarks and every notebook, so no
code line of the book scrolls sideways in the text column."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("folder", ["lossless_tutorial", "tests", "benchmarks", "book"])
def test_ruff_passes(folder):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            folder,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_checks_the_notebooks():
    """The notebooks are really read: a long line in a notebook cell is reported."""
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": ["x = " + " + ".join(["1"] * 60) + "\n"],
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = ROOT / "_build" / "ruff-probe" / "probe.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--output-format",
            "concise",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "E501" in result.stdout, result.stdout


NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
# outputs the book renders as HTML, Markdown, images or widgets, not as printed text
RENDERED = {
    "text/html",
    "text/markdown",
    "image/png",
    "application/vnd.jupyter.widget-view+json",
}


def printed_lines(notebook):
    """(cell index, line) of every line of text a notebook's cells printed."""
    for index, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output["output_type"] == "stream":
                text = "".join(output["text"])
            elif "text/plain" in data and not RENDERED & data.keys():
                text = "".join(data["text/plain"])
            else:
                continue
            for line in text.split("\n"):
                yield index, line


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem[:12])
def test_printed_lines_fit_the_page(notebook):
    """Printed tables and lines fit a code block of the text column (88 characters)."""
    long = [
        (i, len(line), line) for i, line in printed_lines(notebook) if len(line) > 88
    ]
    assert not long, long
