"""Parity with LAION's own CLAP code: checkpoints saved as LAION's training saves them load in
timbre and give LAION's ``get_audio_embedding_from_data`` vectors (cos >= 0.9999).

``laion-clap`` pins numpy<2 and imports torchvision, so it is installed ``--no-deps`` into a
temporary target with the real packages of its audio path (torchlibrosa, librosa and its
imports, torchaudio without its C++ extension, which is built for another torch and unused by
``MelSpectrogram``) and run in a subprocess (``laion_reference.py``); nothing enters the
project's environment. Skipped when PyPI cannot be reached.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import pytest

from tiny_models import tone
from timbre.embedders import load_embedder

pytestmark = pytest.mark.slow

SR = 48000
HERE = os.path.dirname(os.path.abspath(__file__))
#: laion-clap's audio path and what it imports at module level from those packages.
PACKAGES = ["laion-clap==1.1.7", "torchlibrosa==0.1.0", "librosa", "scipy", "numba", "llvmlite", "lazy_loader",
            "soxr", "audioread", "decorator", "joblib", "msgpack", "pooch", "torchaudio==2.11.0"]
LAYOUTS = [("HTSAT-tiny", False), ("HTSAT-tiny", True), ("HTSAT-base", False)]


@pytest.fixture(scope="module")
def laion_target(tmp_path_factory):
    target = str(tmp_path_factory.mktemp("laion-clap-target"))
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--quiet",
               "--disable-pip-version-check", "--timeout", "20", "--retries", "1", "--target", target, *PACKAGES]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        pytest.skip("PyPI did not answer in 15 minutes; cannot install laion-clap for the parity test")
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        pytest.skip(f"cannot install laion-clap from PyPI (offline?): {reason[:200]}")
    for library in glob.glob(os.path.join(target, "torchaudio", "lib", "*.so")):
        os.remove(library)  # built for torch 2.11; the mel transform is pure Python
    return target


def laion(target: str, *args: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("TIMBRE_THREADS", "2"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, os.path.join(HERE, "laion_reference.py"), target, *args],
                          capture_output=True, text=True, timeout=1200, env=env)
    assert done.returncode == 0, done.stderr[-3000:]


def quantized(signal: np.ndarray) -> np.ndarray:
    """LAION quantizes to int16 before embedding; feed both sides int16-exact audio."""
    return (np.clip(signal, -1, 1) * 32767.0).astype(np.int16).astype(np.float32) / 32767.0


@pytest.mark.parametrize("amodel,fusion", LAYOUTS, ids=["tiny-unfused", "tiny-fused", "base-unfused"])
def test_laion_checkpoint_gives_laions_vectors(laion_target, tmp_path, amodel, fusion):
    checkpoint = str(tmp_path / f"{amodel}{'-fusion' if fusion else ''}-best.pt")
    flags = ["--amodel", amodel] + (["--fusion"] if fusion else [])
    laion(laion_target, "build", checkpoint, *flags)
    clips = {
        "a_3s": quantized(tone(3.0, SR, freq=55.0, seed=1)),  # bass: the low mel bands matter
        "b_10s": quantized(tone(10.0, SR, freq=330.0, seed=2)),
    }  # no clip is "longer": LAION's eval-mode fused HTSAT then skips fusion, as timbre does
    np.savez(tmp_path / "clips.npz", **clips)
    laion(laion_target, "embed", checkpoint, str(tmp_path / "clips.npz"), str(tmp_path / "laion.npy"), *flags)
    expected = np.load(tmp_path / "laion.npy")
    clap = load_embedder("clap", model=checkpoint)
    assert clap.truncation == ("fusion" if fusion else "rand_trunc")
    got = clap.embed_audio([clips["a_3s"], clips["b_10s"]])
    cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() >= 0.9999, cosines
