"""Reproducible installs and a wheel that can deploy: the lock pins every package with hashes and the
Makefile installs from it; the wheel carries the process library, and instance data stays out of it."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from webapp.config import load_config
from webapp.instance import ensure_sqlite_file, instance_dir
from webapp.library import forms_dir, workflows_dir

from ..conftest import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[_canonical(match[1])] = match[2]
    return pins


def _pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def test_the_lock_pins_every_requirement_within_its_range_with_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    pins = _pins()
    entries = re.split(r"\n(?=\S)", text)
    pinned = [e for e in entries if PIN.match(e)]
    assert len(pinned) == len(pins) and all("--hash=sha256:" in e for e in pinned), "every pin carries its hashes"
    for requirement in _pyproject_requirements():
        name = _canonical(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} outside {requirement}"
    assert "file://" not in text and "--find-links" not in text, "the lock must not name this machine's indexes"


def test_the_tested_environment_is_the_locked_one() -> None:
    for name, pinned in _pins().items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, locked {pinned}: run make"


def test_make_installs_from_the_lock_with_hashes_when_it_changes() -> None:
    plan = subprocess.run(["make", "-n", "-W", "requirements.lock", ".venv/.installed"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True).stdout
    assert ".venv/bin/pip install --quiet --require-hashes -r requirements.lock" in plan
    assert ".venv/bin/pip install --quiet --no-deps -e ." in plan


def test_instance_data_lives_under_baguan_instance_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config({"BAGUAN_ENV": "testing", "BAGUAN_INSTANCE_DIR": str(tmp_path / "data")})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'data' / 'baguan.sqlite3'}"
    assert config["UPLOAD_DIR"] == str(tmp_path / "data" / "uploads")
    monkeypatch.chdir(tmp_path)
    assert instance_dir({}) == tmp_path / "instance"
    default = load_config({"BAGUAN_ENV": "testing"})["DATABASE_URL"]
    assert default == f"sqlite:///{tmp_path / 'instance' / 'baguan.sqlite3'}"


def test_the_database_file_is_created_private(tmp_path: Path) -> None:
    ensure_sqlite_file(f"sqlite:///{tmp_path / 'inst' / 'baguan.sqlite3'}")
    assert stat.S_IMODE((tmp_path / "inst").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "inst" / "baguan.sqlite3").stat().st_mode) == 0o600


def test_the_library_is_found_as_package_data() -> None:
    with workflows_dir() as workflows, forms_dir() as forms:
        assert (workflows / "annual_plan.bpmn").is_file() and (forms / "annual_plan.json").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("source")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(out), str(PROJECT_ROOT)], check=True, capture_output=True, timeout=300,
                   env={**os.environ, "TMPDIR": str(build)})
    [built] = out.glob("baguan-*.whl")
    return built


def test_the_wheel_carries_the_process_library_forms_migrations_and_holidays(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {p.name for p in (PROJECT_ROOT / "workflows").iterdir() if p.suffix in (".bpmn", ".dmn")}
    assert source and {f"workflows/{n}" for n in source} <= names
    assert {f"forms/{p.name}" for p in (PROJECT_ROOT / "forms").glob("*.json")} <= names
    assert {"engine/migrations/versions/0010_holidays.py", "engine/data/holidays/2027.csv",
            "webapp/templates/admin/holidays.html"} <= names
    assert not any(n.startswith(("instance/", "tests/")) for n in names)


def test_a_wheel_install_deploys_with_data_in_the_instance_dir(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BAGUAN_ENV": "development", "HOME": str(tmp_path)}
    script = (f"import sys; sys.path.insert(0, {str(site)!r}); import webapp; "
              f"assert webapp.__file__.startswith({str(site)!r}), webapp.__file__; "
              "from webapp.cli import main; main()")
    for command in (["init-db"], ["deploy"]):
        done = subprocess.run([sys.executable, "-c", script, *command], cwd=work, env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stderr
    assert "annual_plan\t版本 1\t新部署" in done.stdout and "2027 年，共 15 天" in done.stdout
    assert stat.S_IMODE((work / "instance").stat().st_mode) == 0o700
    assert stat.S_IMODE((work / "instance" / "baguan.sqlite3").stat().st_mode) == 0o600
    assert not (site / "instance").exists()
