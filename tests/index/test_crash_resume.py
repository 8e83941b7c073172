"""A real `python -m timbre index` killed with SIGKILL mid-run resumes without loss or duplicates."""

import json
import os
import signal
import subprocess
import time

import pytest
from cli_process import children_of, group_exits, kill_group, timbre_args
from toy_embedders import make_library

from timbre.index import open_index


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
    args = timbre_args("index", str(tmp_path / "lib"), "--index", index, "--embedder", "slowtoy", "--workers", "2")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _committed_shards(index) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr.read()!r}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert group_exits(proc.pid, timeout=10), "decode workers outlived the killed indexer"
    finally:
        kill_group(proc.pid)  # decode workers orphaned by the kill
    partial = open_index(index)
    assert 0 < len(partial) < len(paths), "the kill should land mid-run"

    rerun = subprocess.run(timbre_args("index", str(tmp_path / "lib"), "--index", index, "--json"),
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["unchanged"] == len(partial) and report["added"] == len(paths) - len(partial)

    lib = open_index(index)
    assert sorted(lib.paths) == sorted(paths)  # every file exactly once
    assert lib.vectors.shape == (len(paths), lib.embedder_spec["dim"])
    leftovers = [f for f in os.listdir(os.path.join(index, "shards")) if f not in _committed_shards(index)]
    assert leftovers == []


@pytest.mark.slow
def test_sigkill_right_after_the_pool_starts_leaves_no_worker_behind(tmp_path):
    make_library(tmp_path / "lib", banks=2, per_bank=10)
    args = timbre_args("index", tmp_path / "lib", "--index", tmp_path / "idx", "--embedder", "slowtoy",
                       "--workers", "2")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not children_of(proc.pid, "spawn_main") and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "run ended before the pool started"
        time.sleep(0.05)  # the workers got their start-up data and are still importing
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert group_exits(proc.pid, timeout=5), "workers or the resource tracker outlived the killed indexer"
    finally:
        kill_group(proc.pid)
