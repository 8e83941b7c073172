"""Start ``timbre app``: bind a loopback port, print the token URL, serve until interrupted."""

from __future__ import annotations

import errno
import socket
import sys
import threading
import webbrowser
from typing import Callable

from timbre.errors import TimbreError

DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a busy default port falls back to any free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in (port, 0) if port == DEFAULT_PORT else (port,):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE and candidate != 0 and port == DEFAULT_PORT:
                continue
            raise TimbreError(f"cannot listen on {host}:{candidate} ({exc.strerror}) — pass another --port, "
                              "or --port 0 for any free one") from exc
        sock.listen(128)
        sock.set_inheritable(True)
        return sock
    raise TimbreError("no free port — pass --port N")  # unreachable: port 0 always binds


def serve(workspace, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, open_browser: bool = True,
          token: str | None = None, echo: Callable[[str], None] | None = None) -> None:
    """Serve ``workspace`` on ``host:port`` until Ctrl-C / SIGTERM; prints the URL (with its token) first."""
    import uvicorn

    from timbre.app.auth import new_token
    from timbre.app.server import create_app

    echo = echo or (lambda line: print(line, flush=True))
    token = token or new_token()
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/?token={token}"
    if host not in LOOPBACK:
        print(f"warning: listening on {host}, reachable from other machines; the token is the only guard",
              file=sys.stderr)
    echo(f"timbre app: {url}")
    config = uvicorn.Config(create_app(workspace, token), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, [url]).start()
    server.run(sockets=[sock])
