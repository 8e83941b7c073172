"""Running a local Label Studio server for a labeling session (and for the integration tests).

Label Studio lives in its own virtualenv (``labeling/.venv-server``, made by
``labeling/install_server.sh``): it pins numpy/pandas/Django versions of its own. The server
is started headless on 127.0.0.1 with a generated login and API token, stored with mode 600 in
``<data>/timbre-server.json`` so restarts keep them. It serves the presets under
``document_root`` to the browser (local-files serving).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from timbre.errors import LabelingError
from timbre.labeling.client import ConnectionSettings
from timbre.runtime import timbre_home

CREDENTIALS_NAME = "timbre-server.json"
HOST = "127.0.0.1"


def default_data_dir() -> str:
    """``$TIMBRE_HOME/labelstudio``: the server's database and uploads."""
    return os.path.join(timbre_home(), "labelstudio")


def server_executable() -> str:
    """The ``label-studio`` program: ``$TIMBRE_LABELSTUDIO_VENV``, the repository's server venv, or PATH."""
    venvs = [os.environ.get("TIMBRE_LABELSTUDIO_VENV"),
             str(Path(__file__).resolve().parents[3] / "labeling" / ".venv-server")]
    for venv in filter(None, venvs):
        exe = os.path.join(venv, "bin", "label-studio")
        if os.access(exe, os.X_OK):
            return exe
    found = shutil.which("label-studio")
    if not found:
        raise LabelingError("Label Studio is not installed: run `bash labeling/install_server.sh` "
                            "(own virtualenv in labeling/.venv-server, ~1 GB)")
    return found


def credentials(data_dir: str) -> dict:
    """The login and API token of the server in ``data_dir`` (generated once, mode 600)."""
    path = os.path.join(data_dir, CREDENTIALS_NAME)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    os.makedirs(data_dir, exist_ok=True)
    creds = {"username": "labeler@timbre.local", "password": secrets.token_urlsafe(12),
             "token": secrets.token_hex(20)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(creds, fh, indent=2)
    return creds


@dataclass(frozen=True)
class ServerCommand:
    """The program arguments and environment that start the server."""

    argv: list[str]
    env: dict[str, str]  # only the variables we set
    url: str
    settings: ConnectionSettings

    def shell(self) -> str:
        """A copy-pastable shell line."""
        from shlex import quote

        return " ".join([*(f"{k}={quote(v)}" for k, v in sorted(self.env.items())), *map(quote, self.argv)])


def server_command(data_dir: str | None = None, port: int = 8080, document_root: str | None = None,
                   executable: str | None = None) -> ServerCommand:
    """The command that starts a headless server on ``127.0.0.1:port`` with its data in ``data_dir``."""
    data_dir = os.path.abspath(data_dir or default_data_dir())
    root = os.path.realpath(document_root or os.path.expanduser("~"))
    creds = credentials(data_dir)
    env = {"LABEL_STUDIO_USERNAME": creds["username"], "LABEL_STUDIO_PASSWORD": creds["password"],
           "LABEL_STUDIO_USER_TOKEN": creds["token"], "LABEL_STUDIO_BASE_DATA_DIR": data_dir,
           "LATEST_VERSION_CHECK": "false", "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
           "LOCAL_FILES_SERVING_ENABLED": "true", "LOCAL_FILES_DOCUMENT_ROOT": root}
    argv = [executable or server_executable(), "start", "--no-browser", "--internal-host", HOST,
            "--port", str(port), "--enable-legacy-api-token"]
    url = f"http://{HOST}:{port}"
    return ServerCommand(argv, env, url, ConnectionSettings(url, creds["token"], root))


class RunningServer:
    """A started server process; ``stop`` ends it and everything it spawned."""

    def __init__(self, command: ServerCommand, process: subprocess.Popen, log_path: str):
        self.command, self.process, self.log_path = command, process, log_path
        self.url, self.settings = command.url, command.settings

    def stop(self, grace: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(grace)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(command: ServerCommand, *, log_path: str, timeout: float = 240.0) -> RunningServer:
    """Start ``command`` in its own process group and wait until it answers with our token.

    Label Studio silently moves to another port when its port is busy, so a busy port is refused
    up front and the answer is checked to come from our user."""
    port = int(command.argv[command.argv.index("--port") + 1])
    if not port_is_free(port):
        raise LabelingError(f"port {port} on {HOST} is already in use; choose another with --port")
    log = open(log_path, "ab")
    process = subprocess.Popen(command.argv, env={**os.environ, **command.env}, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    server = RunningServer(command, process, log_path)
    try:
        wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_ready(server: RunningServer, timeout: float) -> None:
    """Poll the server's whoami with our token until it answers; errors name the log."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"{server.url}/api/current-user/whoami",
                                     headers={"Authorization": f"Token {server.settings.api_key}"})
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LabelingError(f"Label Studio exited with code {server.process.returncode} while starting; "
                                f"see {server.log_path}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if json.load(response).get("email") == server.command.env["LABEL_STUDIO_USERNAME"]:
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(1.0)
    raise LabelingError(f"Label Studio did not answer on {server.url} within {timeout:.0f} s; see {server.log_path}")


def serve(command: ServerCommand, *, on_ready=None, timeout: float = 240.0) -> None:
    """Start the server, store its connection for ``timbre label push/pull``, run until interrupted."""
    from timbre.labeling.client import write_connection_file

    data_dir = command.env["LABEL_STUDIO_BASE_DATA_DIR"]
    server = start_server(command, log_path=os.path.join(data_dir, "server.log"), timeout=timeout)
    try:
        config = write_connection_file(command.settings)
        if on_ready:
            on_ready(server, config)
        server.process.wait()
    finally:
        server.stop()
