"""The conda/Binder environment lists exactly what pyproject.toml lists, and Binder
installs the package after building it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    conda = [d for d in conda if _normalise(d)[0] not in ("python", "pip")]
    assert sorted(map(_normalise, conda)) == sorted(map(_normalise, wanted))
    assert not [d for d in environment["dependencies"] if isinstance(d, dict)], (
        "Binder builds environment.yml before the repository is there: no `pip: [-e .]`"
    )


def test_binder_installs_the_package_after_the_environment():
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    commands = [
        line.strip()
        for line in post_build.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "python -m pip install --no-deps -e ." in commands
