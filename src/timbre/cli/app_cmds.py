"""`timbre app`: the local web app (search, listen, judge, retrain, map) over an index."""

from __future__ import annotations

from typing import Optional

import typer

from timbre.cli.common import (device_option, half_option, index_option, models_option, resolve_index,
                               resolve_models, resolve_placement)


def app_command(
    index: Optional[str] = index_option(),
    port: int = typer.Option(8765, "--port", "-p", min=0, max=65535,
                             help="Port on 127.0.0.1 (0 = any free port; a busy 8765 falls back to one)"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; keep the loopback default"),
    no_browser: bool = typer.Option(False, "--no-browser", help="Print the URL without opening a browser"),
    pairs: Optional[str] = typer.Option(None, "--pairs",
                                        help="Pair file for judgments (default: $TIMBRE_HOME/pairs.jsonl)"),
    models: Optional[str] = models_option(),
    device: Optional[str] = device_option(),
    half: Optional[bool] = half_option(),
) -> None:
    """Open the app in your browser: drop a loop, listen to the ranked presets, teach, retrain."""
    from timbre.app.run import serve
    from timbre.workspace import Workspace

    placement = resolve_placement(device, half)
    typer.echo("timbre app: loading the index and its embedder ...", err=True)
    workspace = Workspace(resolve_index(index), models_dir=resolve_models(models), pairs_file=pairs,
                          placement=placement)
    serve(workspace, host=host, port=port, open_browser=not no_browser)


def register(app: typer.Typer) -> None:
    """Add `app` to ``app``."""
    app.command("app")(app_command)
