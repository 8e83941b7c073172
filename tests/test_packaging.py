"""A non-editable install (a built wheel) gives a working `timbre` command and one import package."""

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (found,) = out.glob("timbre-*.whl")
    return found


@pytest.mark.slow
def test_wheel_has_one_top_level_package_and_the_console_script(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top_level == {"timbre"}, f"generic top-level names would collide in site-packages: {top_level}"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    parser = configparser.ConfigParser()
    parser.read_string(zipfile.ZipFile(wheel).read(entry_points).decode())
    assert parser["console_scripts"]["timbre"] == "timbre.cli.main:run"
    assert set(parser["timbre.embedders"]) >= {"spectral", "clap", "pann", "mfcc"}
    static = ROOT / "src" / "timbre" / "app" / "static"
    shipped = {f"timbre/app/static/{p.name}" for p in static.iterdir() if p.is_file()}
    assert "timbre/app/static/index.html" in shipped and shipped <= set(names), "the app's page must ship"


@pytest.mark.slow
def test_installed_wheel_runs_the_cli(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    env = dict(os.environ, PYTHONPATH=str(target))
    code = "import timbre, sys; from timbre.cli.main import run; print(timbre.__file__); sys.argv=['timbre','--help']; run()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith(str(target)), "imported the source tree, not the wheel"
    assert "search" in out.stdout and "app" in out.stdout
