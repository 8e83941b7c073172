"""A real `python -m timbre index` killed with SIGKILL mid-run resumes without loss or duplicates."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from toy_embedders import make_library

from timbre.index import open_index

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

# `python -m timbre` with the toy embedders registered and small commits (8 files per shard).
LAUNCHER = (
    "import runpy, sys\n"
    f"sys.path.insert(0, {TESTS_DIR!r})\n"
    "import toy_embedders, timbre.embedders, timbre.index.builder as builder\n"
    "timbre.embedders.BUILTIN.update(toy_embedders.REGISTRY)\n"
    "builder.COMMIT_ROWS = 8\n"
    "sys.argv = ['timbre'] + sys.argv[1:]\n"
    "runpy.run_module('timbre', run_name='__main__')\n"
)


def _timbre(*args):
    return [sys.executable, "-c", LAUNCHER, *args]


def _committed_shards(index):
    try:
        with open(os.path.join(index, "manifest.json")) as fh:
            return json.load(fh)["shards"]
    except (OSError, ValueError):
        return []


@pytest.mark.slow
def test_sigkill_mid_run_loses_at_most_the_batch_in_flight(tmp_path):
    paths = make_library(tmp_path / "lib", banks=4, per_bank=30)
    index = str(tmp_path / "idx")
    args = _timbre("index", str(tmp_path / "lib"), "--index", index, "--embedder", "slowtoy", "--workers", "2")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _committed_shards(index) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr.read()!r}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert _group_exits(proc.pid, timeout=10), "decode workers outlived the killed indexer"
    finally:
        _kill_group(proc.pid)  # decode workers orphaned by the kill
    partial = open_index(index)
    assert 0 < len(partial) < len(paths), "the kill should land mid-run"

    rerun = subprocess.run(_timbre("index", str(tmp_path / "lib"), "--index", index, "--json"),
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["unchanged"] == len(partial) and report["added"] == len(paths) - len(partial)

    lib = open_index(index)
    assert sorted(lib.paths) == sorted(paths)  # every file exactly once
    assert lib.vectors.shape == (len(paths), lib.embedder_spec["dim"])
    leftovers = [f for f in os.listdir(os.path.join(index, "shards")) if f not in _committed_shards(index)]
    assert leftovers == []


def _group_exits(pgid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
