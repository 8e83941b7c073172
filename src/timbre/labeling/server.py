"""Running a local Label Studio server for a labeling session (and for the integration tests).

Label Studio lives in its own virtualenv (``labeling/.venv-server``, made by
``labeling/install_server.sh``): it pins numpy/pandas/Django versions of its own. The server
is started headless on 127.0.0.1 with a generated login and API token, stored with mode 600 in
``<data>/timbre-server.json`` so restarts keep them. It serves the presets under
``document_root`` to the browser (local-files serving).

There is one server configuration: the data folder, port and document root of the last start
are kept in the connection file, so a plain ``timbre label server --start`` (what every
"unreachable" error recommends) restarts the same server as ``labeling/server.sh`` with options.
The server runs as long as the command that started it: Ctrl-C, closing the terminal (SIGHUP),
SIGTERM, and even SIGKILL of the parent stop it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from timbre.errors import LabelingError
from timbre.labeling.client import ConnectionSettings
from timbre.runtime import timbre_home

CREDENTIALS_NAME = "timbre-server.json"
PID_NAME = "server.pid"
HOST = "127.0.0.1"
DEFAULT_PORT = 8080
PORT_VARIABLE = "TIMBRE_LABELSTUDIO_PORT"


def default_data_dir() -> str:
    """``$TIMBRE_HOME/labelstudio``: the server's database and uploads."""
    return os.path.join(timbre_home(), "labelstudio")


def stored_server_options() -> dict:
    """The data folder, port and document root of the last ``timbre label server --start``."""
    from timbre.labeling.client import read_connection_file

    stored = read_connection_file()
    return {key: stored[key] for key in ("data_dir", "port", "document_root") if stored.get(key)}


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


def server_command(data_dir: str | None = None, port: int | None = None, document_root: str | None = None,
                   executable: str | None = None) -> ServerCommand:
    """The command that starts a headless server on ``127.0.0.1:port`` with its data in ``data_dir``.

    Options left out come from the last start (the connection file), else the defaults of a first
    start: ``$TIMBRE_HOME/labelstudio``, ``$TIMBRE_LABELSTUDIO_PORT`` or 8080, and the home folder."""
    stored = stored_server_options()
    data_dir = os.path.abspath(os.path.expanduser(data_dir or stored.get("data_dir") or default_data_dir()))
    port = _port(port or stored.get("port") or os.environ.get(PORT_VARIABLE) or DEFAULT_PORT)
    root = os.path.realpath(os.path.expanduser(document_root or stored.get("document_root") or "~"))
    creds = credentials(data_dir)
    env = {"LABEL_STUDIO_USERNAME": creds["username"], "LABEL_STUDIO_PASSWORD": creds["password"],
           "LABEL_STUDIO_USER_TOKEN": creds["token"], "LABEL_STUDIO_BASE_DATA_DIR": data_dir,
           "LATEST_VERSION_CHECK": "false", "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
           "LOCAL_FILES_SERVING_ENABLED": "true", "LOCAL_FILES_DOCUMENT_ROOT": root}
    argv = [executable or server_executable(), "start", "--no-browser", "--internal-host", HOST,
            "--port", str(port), "--enable-legacy-api-token"]
    url = f"http://{HOST}:{port}"
    return ServerCommand(argv, env, url, ConnectionSettings(url, creds["token"], root))


def _port(value) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise LabelingError(f"{value!r} is not a port number; give --port (or {PORT_VARIABLE}) between 1 and 65535")
    return port


def command_port(command: ServerCommand) -> int:
    return int(command.argv[command.argv.index("--port") + 1])


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


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, even by SIGKILL (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_server(command: ServerCommand, *, log_path: str, timeout: float = 240.0) -> RunningServer:
    """Start ``command`` in its own process group and wait until it answers with our token.

    Label Studio silently moves to another port when its port is busy, so a busy port is refused
    up front and the answer is checked to come from our user. The server gets SIGTERM when the
    process that started it dies."""
    port = command_port(command)
    if not port_is_free(port):
        raise LabelingError(f"port {port} on {HOST} is already in use; choose another with --port")
    log = open(log_path, "ab")
    process = subprocess.Popen(command.argv, env={**os.environ, **command.env}, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                               preexec_fn=_die_with_parent)
    log.close()
    server = RunningServer(command, process, log_path)
    try:
        wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def answers_as_us(command: ServerCommand, timeout: float = 5.0) -> bool:
    """Whether the server at ``command.url`` is ours: it takes our token and names our user."""
    request = urllib.request.Request(f"{command.url}/api/current-user/whoami",
                                     headers={"Authorization": f"Token {command.settings.api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response).get("email") == command.env["LABEL_STUDIO_USERNAME"]
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return False


def wait_until_ready(server: RunningServer, timeout: float) -> None:
    """Poll the server's whoami with our token until it answers; errors name the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LabelingError(f"Label Studio exited with code {server.process.returncode} while starting; "
                                f"see {server.log_path}")
        if answers_as_us(server.command):
            return
        time.sleep(1.0)
    raise LabelingError(f"Label Studio did not answer on {server.url} within {timeout:.0f} s; see {server.log_path}")


class _Signalled(BaseException):
    """Raised in the main thread by SIGTERM/SIGHUP so the server is stopped on the way out."""


def _raise_signal(signum, _frame) -> None:
    raise _Signalled(signal.Signals(signum).name)


def _save_connection(command: ServerCommand) -> str:
    from timbre.labeling.client import write_connection_file

    return write_connection_file(command.settings, data_dir=command.env["LABEL_STUDIO_BASE_DATA_DIR"],
                                 port=command_port(command))


def running_pid(data_dir: str) -> int | None:
    """The pid recorded by the ``serve`` that started the server of ``data_dir``, if it still runs."""
    try:
        with open(os.path.join(data_dir, PID_NAME), encoding="ascii") as fh:
            pid = int(fh.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def serve(command: ServerCommand, *, on_start=None, on_ready=None, on_reuse=None, timeout: float = 240.0) -> str:
    """Start the server, store its connection for ``timbre label push/pull``, run until stopped.

    When our own server (same token and user) already answers on the port, it is reused:
    ``on_reuse(command, config_path, pid)`` is called and nothing is started. Ctrl-C, SIGTERM and
    SIGHUP (closing the terminal) stop the server; returns why it stopped."""
    data_dir = command.env["LABEL_STUDIO_BASE_DATA_DIR"]
    if not port_is_free(command_port(command)) and answers_as_us(command):
        config = _save_connection(command)
        if on_reuse:
            on_reuse(command, config, running_pid(data_dir))
        return "already running"
    if on_start:
        on_start(command)
    server = start_server(command, log_path=os.path.join(data_dir, "server.log"), timeout=timeout)
    pid_file = os.path.join(data_dir, PID_NAME)
    with open(pid_file, "w", encoding="ascii") as fh:
        fh.write(f"{server.process.pid}\n")
    handlers = _install_stop_handlers()
    try:
        config = _save_connection(command)
        if on_ready:
            on_ready(server, config)
        code = server.process.wait()
        if code > 0:
            raise LabelingError(f"Label Studio exited with code {code}; see {server.log_path}")
        return "stopped"
    except KeyboardInterrupt:
        return "Ctrl-C"
    except _Signalled as sig:
        return str(sig)
    finally:
        _restore_handlers(handlers)
        server.stop()
        with contextlib.suppress(OSError):
            os.remove(pid_file)


def _install_stop_handlers() -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _raise_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}


def _restore_handlers(handlers: dict) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
