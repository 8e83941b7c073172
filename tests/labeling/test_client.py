"""Connection settings and one-line errors of the real client (no server needed)."""

import json
import os
import stat

import pytest

from timbre.errors import LabelingError
from timbre.labeling.client import ConnectionSettings, StudioClient, load_settings, write_connection_file
from timbre.labeling.server import free_port, port_is_free, server_command, start_server


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "LABEL_STUDIO_DOCUMENT_ROOT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TIMBRE_LABELSTUDIO_CONFIG", str(tmp_path / "conn.json"))


def test_environment_wins_over_the_connection_file(monkeypatch, tmp_path):
    path = write_connection_file(ConnectionSettings("http://127.0.0.1:9000/", "file-key", "/media"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_settings() == ConnectionSettings("http://127.0.0.1:9000", "file-key", "/media")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "env-key")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://localhost:1234")
    assert load_settings() == ConnectionSettings("http://localhost:1234", "env-key", "/media")


def test_no_key_anywhere_says_how_to_get_one():
    with pytest.raises(LabelingError, match="LABEL_STUDIO_API_KEY"):
        load_settings()


def test_damaged_connection_file_is_named(tmp_path):
    (tmp_path / "conn.json").write_text("{nope")
    with pytest.raises(LabelingError, match="conn.json: unreadable"):
        load_settings()


def test_unreachable_server_is_one_line():
    pytest.importorskip("label_studio_sdk")
    client = StudioClient(ConnectionSettings(f"http://127.0.0.1:{free_port()}", "key"), timeout=3)
    with pytest.raises(LabelingError, match="is unreachable") as err:
        client.whoami()
    assert "\n" not in str(err.value)


def test_server_command_is_local_headless_and_keeps_its_credentials(tmp_path):
    first = server_command(str(tmp_path / "data"), 8123, str(tmp_path), executable="label-studio")
    again = server_command(str(tmp_path / "data"), 8123, str(tmp_path), executable="label-studio")
    assert first.argv[first.argv.index("--internal-host") + 1] == "127.0.0.1"
    assert "--no-browser" in first.argv and "--enable-legacy-api-token" in first.argv
    assert first.env == again.env and first.settings.api_key == first.env["LABEL_STUDIO_USER_TOKEN"]
    assert first.env["LOCAL_FILES_DOCUMENT_ROOT"] == os.path.realpath(tmp_path)
    creds = tmp_path / "data" / "timbre-server.json"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600 and json.loads(creds.read_text())["token"]


def test_a_busy_port_is_refused_instead_of_silently_moving(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free(port)
        command = server_command(str(tmp_path / "data"), port, str(tmp_path), executable="/bin/false")
        with pytest.raises(LabelingError, match=f"port {port} on 127.0.0.1 is already in use"):
            start_server(command, log_path=str(tmp_path / "log"))


def test_a_server_that_dies_while_starting_names_its_log(tmp_path):
    command = server_command(str(tmp_path / "data"), free_port(), str(tmp_path), executable="/bin/false")
    with pytest.raises(LabelingError, match="exited with code 1 while starting; see .*log"):
        start_server(command, log_path=str(tmp_path / "log"), timeout=10)


FAKE_SERVER = """#!{python}
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.headers.get("Authorization") == "Token " + os.environ["LABEL_STUDIO_USER_TOKEN"]
        body = json.dumps({{"email": os.environ["LABEL_STUDIO_USERNAME"]}}).encode()
        self.send_response(200 if ok else 401)
        self.end_headers()
        self.wfile.write(body if ok else b"{{}}")

HTTPServer((sys.argv[sys.argv.index("--internal-host") + 1], int(sys.argv[sys.argv.index("--port") + 1])),
           Handler).serve_forever()
"""


def test_serve_waits_for_our_server_then_saves_the_connection(tmp_path):
    import sys

    from timbre.labeling.server import serve

    exe = tmp_path / "label-studio"
    exe.write_text(FAKE_SERVER.format(python=sys.executable))
    exe.chmod(0o755)
    command = server_command(str(tmp_path / "data"), free_port(), str(tmp_path), executable=str(exe))
    seen = {}

    def ready(server, config_path):
        seen["config"] = json.loads(open(config_path).read())
        server.stop()

    serve(command, on_ready=ready, timeout=30)
    assert seen["config"] == {"url": command.url, "api_key": command.env["LABEL_STUDIO_USER_TOKEN"],
                              "document_root": os.path.realpath(tmp_path), "data_dir": str(tmp_path / "data"),
                              "port": int(command.argv[-2])}
    assert port_is_free(int(command.argv[-2]))
