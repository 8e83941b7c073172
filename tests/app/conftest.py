"""A small synthetic preset library, its `spectral` index, a Workspace, an API client and a running
`timbre app` (for the browser tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf
from app_demo import FAMILIES, SR, TOKEN, loop, tone, wait_for_url
from ogg_files import write_ogg


@dataclass
class DemoLibrary:
    root: Path
    previews: Path
    index: Path
    targets: list[Path]


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory) -> DemoLibrary:
    """Four banks of five near-variations (.ogg at C3), indexed with `spectral`; a loop per family."""
    from timbre.index import build_index

    root = tmp_path_factory.mktemp("app-demo")
    previews = root / "previews"
    for family in FAMILIES:
        (previews / family).mkdir(parents=True)
        for k in range(5):
            audio = tone(family, 48, 1.2, detune=0.004 * k, decay=0.8 + 0.05 * k)
            write_ogg(previews / family / f"{family.title()} {k}.ogg", audio, SR)
    (root / "targets").mkdir()
    targets = []
    for seed, family in enumerate(FAMILIES):
        path = root / "targets" / f"{family} loop.wav"
        sf.write(path, loop(family, seed), SR, subtype="PCM_24")
        targets.append(path)
    build_index([str(previews)], str(root / "index"), "spectral", workers=0)
    return DemoLibrary(root, previews, root / "index", targets)


@pytest.fixture
def workspace(demo_library, tmp_path):
    """A Workspace over the demo index with its own home (targets, pair file) and models folder."""
    from timbre.workspace import Workspace

    return Workspace(str(demo_library.index), models_dir=str(tmp_path / "models"), home=str(tmp_path / "home"))


@pytest.fixture
def client(workspace):
    """An API client carrying the token."""
    from fastapi.testclient import TestClient

    from timbre.app.server import create_app

    with TestClient(create_app(workspace, TOKEN), headers={"X-Timbre-Token": TOKEN}) as test_client:
        yield test_client


@dataclass
class RunningApp:
    url: str
    base: str
    token: str
    home: Path
    index: Path
    pairs_file: Path
    targets: list[Path]
    artifacts: Path
    process: subprocess.Popen


def artifacts_dir() -> Path:
    """Where browser tests leave screenshots (`artifacts/app` in the repository; not committed)."""
    folder = Path(__file__).resolve().parents[2] / "artifacts" / "app"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def app_server(demo_library, tmp_path_factory):
    """`timbre app --port 0 --no-browser` running over the demo index (a real subprocess)."""
    home = tmp_path_factory.mktemp("app-home")
    env = {**os.environ, "TIMBRE_HOME": str(home), "TIMBRE_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "timbre", "app", "--index", str(demo_library.index),
                                "--port", "0", "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    url = wait_for_url(process)
    base = url.split("/?")[0]
    token = url.split("token=")[1]
    yield RunningApp(url, base, token, home, demo_library.index, home / "pairs.jsonl", demo_library.targets,
                     artifacts_dir(), process)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
