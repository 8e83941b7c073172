"""`timbre app` as a real process: it prints a token URL, serves only loopback, and a kill -9 loses no judgment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from app_demo import wait_for_url

from timbre.heads.pairs import read_pairs

pytestmark = pytest.mark.slow


def start_app(index, home) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "TIMBRE_HOME": str(home), "TIMBRE_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "timbre", "app", "--index", str(index), "--port", "0",
                                "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return process, wait_for_url(process)


def call(url: str, token: str, body: dict | bytes | None = None, method: str | None = None) -> dict:
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "X-Timbre-Token": token, "Content-Type": "application/octet-stream" if isinstance(body, bytes)
        else "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_kill_9_mid_session_keeps_every_judgment(demo_library, tmp_path):
    process, url = start_app(demo_library.index, tmp_path)
    base, token = url.split("/?")[0], url.split("token=")[1]
    assert base.startswith("http://127.0.0.1:")
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            call(f"{base}/api/status", "not-the-token-at-all")
        assert refused.value.code == 403
        target = call(f"{base}/api/targets?name=loop.wav", token, demo_library.targets[0].read_bytes())["target"]
        for row in range(12):
            call(f"{base}/api/judgments", token, {"target": target["id"], "preset": row,
                                                  "label": "similar" if row % 2 else "not_similar"})
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    records = read_pairs(tmp_path / "pairs.jsonl")
    assert len(records) == 12 and {r["source"] for r in records} == {"app"}
    assert not [f for f in os.listdir(tmp_path) if ".tmp" in f]
    process, url = start_app(demo_library.index, tmp_path)  # a restarted app sees them, and the target
    try:
        status = call(f"{url.split('/?')[0]}/api/status", url.split("token=")[1])
        assert status["judgments"] == 12 and status["targets"][0]["id"] == target["id"]
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_missing_index_is_one_line(tmp_path):
    env = {**os.environ, "TIMBRE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "timbre", "app", "--index", str(tmp_path / "none"), "--no-browser"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
