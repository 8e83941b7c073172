"""Data and helpers shared by the app tests: a tiny additive synth, the test token, the URL reader."""

from __future__ import annotations

import re
import subprocess
import time

import numpy as np

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


def write_tone_library(folder, decays=(1.0, 5.0), seconds: float = 1.5) -> None:
    """``folder/<family>/<family> <k>.wav``: each family at C3 once per decay (near-variations)."""
    import os

    import soundfile as sf

    for family in FAMILIES:
        os.makedirs(os.path.join(folder, family), exist_ok=True)
        for k, decay in enumerate(decays):
            sf.write(os.path.join(folder, family, f"{family} {k}.wav"), tone(family, 48, seconds, decay=decay), SR)


def loop(family: str, seed: int) -> np.ndarray:
    """Six notes of ``family`` at other pitches than the previews' C3: what a target loop is."""
    rng = np.random.default_rng(seed)
    return np.concatenate([tone(family, int(rng.integers(55, 72)), float(rng.uniform(0.25, 0.5)))
                           for _ in range(6)])



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
