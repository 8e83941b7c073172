"""One server configuration, and a server that lives exactly as long as `timbre label server --start`.

A fake `label-studio` (a tiny HTTP server answering whoami for our token) stands in for the real one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from timbre.cli.main import app
from timbre.labeling.server import free_port, port_is_free, running_pid, serve, server_command
from test_client import FAKE_SERVER

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__import__("timbre").__file__)))


@pytest.fixture
def fake_venv(tmp_path, monkeypatch):
    """A server venv whose `label-studio` is the fake; a private connection file and home."""
    exe = tmp_path / "venv" / "bin" / "label-studio"
    exe.parent.mkdir(parents=True)
    exe.write_text(FAKE_SERVER.format(python=sys.executable))
    exe.chmod(0o755)
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "LABEL_STUDIO_DOCUMENT_ROOT", "TIMBRE_LABELSTUDIO_CONFIG",
                "TIMBRE_LABELSTUDIO_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TIMBRE_LABELSTUDIO_VENV", str(tmp_path / "venv"))
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    return str(exe)


def test_a_plain_start_is_the_server_the_set_up_started(fake_venv, tmp_path):
    """`server.sh --data D --document-root R` first; then the `timbre label server --start` of the errors."""
    (tmp_path / "Music").mkdir()
    setup = server_command(str(tmp_path / "labels"), free_port(), str(tmp_path / "Music"))
    serve(setup, on_ready=lambda server, _config: server.stop(), timeout=30)
    plain = server_command()
    assert plain.env == setup.env and plain.argv == setup.argv and plain.settings == setup.settings
    printed = CliRunner().invoke(app, ["label", "server"])
    assert printed.exit_code == 0 and printed.stdout.strip() == setup.shell()


def test_a_bad_port_is_one_line(fake_venv, monkeypatch):
    from timbre.errors import LabelingError

    monkeypatch.setenv("TIMBRE_LABELSTUDIO_PORT", "eighty")
    with pytest.raises(LabelingError, match="'eighty' is not a port number"):
        server_command()


def _start(tmp_path, port: int) -> subprocess.Popen:
    (tmp_path / "Music").mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "timbre", "label", "server", "--start", "--data", str(tmp_path / "labels"),
            "--document-root", str(tmp_path / "Music"), "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)


def _wait_for_line(process: subprocess.Popen, needle: str, timeout: float = 60) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"no {needle!r} in {lines}")


def _gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_closing_the_terminal_stops_the_server(fake_venv, tmp_path, sig):
    port = free_port()
    starter = _start(tmp_path, port)
    _wait_for_line(starter, "is up at")
    server_pid = running_pid(str(tmp_path / "labels"))
    assert server_pid and server_pid != starter.pid
    starter.send_signal(sig)
    assert starter.wait(30) == 0
    assert f"Label Studio stopped ({sig.name})" in starter.stderr.read()
    assert _gone(server_pid) and port_is_free(port) and running_pid(str(tmp_path / "labels")) is None


@pytest.mark.slow
def test_a_killed_starter_takes_its_server_along_and_a_running_one_is_reused(fake_venv, tmp_path):
    port = free_port()
    first = _start(tmp_path, port)
    _wait_for_line(first, "is up at")
    server_pid = running_pid(str(tmp_path / "labels"))
    second = _start(tmp_path, port)  # the same server is up: reused, not blamed on the port
    lines = _wait_for_line(second, "already running")
    assert second.wait(30) == 0 and f"pid {server_pid}" in lines[-1] and "using it" in lines[-1]
    first.kill()
    first.wait(10)
    assert _gone(server_pid) and port_is_free(port)
