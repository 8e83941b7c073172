"""A small synthetic preset library, its `spectral` index, a Workspace, an API client and a running
`timbre app` (for the browser tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SR = 22050
TOKEN = "test-token-0123456789abcdef"
#: family -> amplitude of harmonic k (band-limited additive synthesis)
FAMILIES = {
    "saw": lambda k: 1.0 / k,
    "square": lambda k: (k % 2) / k,
    "sine": lambda k: (k == 1) * 1.0 + (k == 2) * 0.05,
    "organ": lambda k: np.isin(k, [1, 2, 4, 8]) * 1.0,
}


def tone(family: str, midi: float, seconds: float, detune: float = 0.0, decay: float = 1.0) -> np.ndarray:
    """One enveloped note of ``family`` at ``midi``."""
    f0 = 440.0 * 2 ** ((midi - 69) / 12) * (1 + detune)
    t = np.arange(int(SR * seconds)) / SR
    k = np.arange(1, int(SR / 2 / f0))
    wave = np.sin(2 * np.pi * f0 * t[:, None] * k[None, :]) @ FAMILIES[family](k).astype(np.float64)
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-t * decay)
    wave = wave * envelope
    return (0.4 * wave / np.max(np.abs(wave))).astype(np.float32)


def loop(family: str, seed: int) -> np.ndarray:
    """Six notes of ``family`` at other pitches than the previews' C3: what a target loop is."""
    rng = np.random.default_rng(seed)
    return np.concatenate([tone(family, int(rng.integers(55, 72)), float(rng.uniform(0.25, 0.5)))
                           for _ in range(6)])


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
            sf.write(previews / family / f"{family.title()} {k}.ogg", audio, SR)
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


def wait_for_url(process: subprocess.Popen, timeout: float = 120.0) -> str:
    """The URL `timbre app` prints as its first stdout line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            found = re.search(r"(http://\S+/\?token=\S+)", line)
            if found:
                return found.group(1)
        elif process.poll() is not None:
            raise RuntimeError(f"timbre app exited {process.returncode}: {process.stderr.read()[-2000:]}")
    raise RuntimeError("timbre app printed no URL in time")
