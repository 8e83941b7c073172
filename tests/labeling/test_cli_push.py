"""`timbre label push` on the command line, against a real index and a fake Label Studio."""

from __future__ import annotations

import json
import os

import pytest
from fake_studio import FakeStudio
from demo_audio import synthesize_library, write_loop
from typer.testing import CliRunner

from timbre.cli.main import app
from timbre.errors import TimbreError


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A document root holding a small synthesized library, its index, and two target loops."""
    from timbre.index import build_index

    root = tmp_path_factory.mktemp("media")
    library = synthesize_library(str(root / "library"))
    index = str(root.parent / f"{root.name}-index")
    build_index([library], index, "spectral", workers=0)
    loops = [write_loop(str(root / "my_loop.wav")), write_loop(str(root / "other_loop.wav"), "sine", 261.6, 2)]
    return {"root": str(root), "index": index, "loops": loops}


@pytest.fixture
def studio(demo, monkeypatch, tmp_path):
    fake = FakeStudio(os.path.realpath(demo["root"]))
    monkeypatch.setattr("timbre.labeling.push.connect", lambda: fake)
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    return fake


def _push(demo, *args):
    return CliRunner().invoke(app, ["label", "push", "--index", demo["index"], *args])


def _reasons(studio) -> str:
    return " ".join(t["data"]["reason"] for tasks in studio.tasks.values() for t in tasks)


def test_several_targets_after_one_option_as_the_readme_writes_it(demo, studio):
    a, b = demo["loops"]
    result = _push(demo, "--strategy", "queries", "--targets", a, b, "--n", "6", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pushed"] == 6
    assert "query my_loop.wav" in _reasons(studio) and "query other_loop.wav" in _reasons(studio)


def test_repeated_targets_still_work_and_targets_imply_queries(demo, studio):
    a, b = demo["loops"]
    result = _push(demo, "--targets", a, "--targets", b, "--n", "4", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["strategy"] == "queries"
    assert "query my_loop.wav" in _reasons(studio) and "query other_loop.wav" in _reasons(studio)


def test_a_bad_target_is_refused_before_any_project_exists(demo, studio, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio at all" * 100)
    for targets in ([str(bad)], [str(tmp_path / "missing.wav")], [str(tmp_path)]):
        result = _push(demo, "--strategy", "queries", "--targets", *targets)
        assert result.exit_code != 0 and isinstance(result.exception, TimbreError), result.output
        assert "\n" not in str(result.exception)
    assert studio.projects == {}
