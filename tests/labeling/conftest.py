"""Fixtures: a fake Label Studio and a fake library for unit tests, a real server for integration tests."""

from __future__ import annotations

import os
import time

import pytest
from fake_studio import FakeLibrary, FakeStudio


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A fake library that ``timbre.index.open_index`` returns."""
    lib = FakeLibrary(str(tmp_path))
    import timbre.index

    monkeypatch.setattr(timbre.index, "open_index", lambda path: lib, raising=False)
    return lib


@pytest.fixture
def studio(tmp_path):
    """A fake server whose document root holds the fake library."""
    return FakeStudio(os.path.realpath(str(tmp_path)))


# ---- the real server (integration tests) ----

# A fresh DB answers after ~50 s on a quiet machine, 120-210 s on a loaded 2-core one.
SERVER_START_TIMEOUT = float(os.environ.get("TIMBRE_LS_START_TIMEOUT", "420"))


def server_venv_or_skip() -> str:
    from timbre.labeling.server import server_executable
    from timbre.errors import LabelingError

    try:
        return server_executable()
    except LabelingError as exc:
        pytest.skip(f"no Label Studio server venv ({exc})")


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    """A real Label Studio on a free port of 127.0.0.1, fresh data dir and DB; stopped afterwards.

    ``server.document_root`` is the folder its local-files serving exposes."""
    server_venv_or_skip()
    pytest.importorskip("label_studio_sdk", reason="label-studio-sdk is not installed in the project venv")
    from timbre.labeling.server import free_port, server_command, start_server

    base = tmp_path_factory.mktemp("labelstudio")
    document_root = base / "media"
    document_root.mkdir()
    command = server_command(str(base / "data"), free_port(), str(document_root))
    started = time.monotonic()
    server = start_server(command, log_path=str(base / "server.log"), timeout=SERVER_START_TIMEOUT)
    server.start_seconds = time.monotonic() - started
    print(f"\nLabel Studio ready on {server.url} after {server.start_seconds:.1f} s (log {base / 'server.log'})")
    server.document_root = str(document_root)
    try:
        yield server
    finally:
        server.stop()
