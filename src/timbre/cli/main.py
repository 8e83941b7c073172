"""Entry point: builds the typer app from the per-area command modules."""

from __future__ import annotations

import sys

import typer

from timbre.errors import TimbreError

app = typer.Typer(
    name="timbre",
    help="Find the synth presets that sound like your sample.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # Each module registers its commands; none imports torch/faiss at module level.
    from timbre.cli import (app_cmds, bench_cmds, eval_cmds, index_cmds, label_cmds, model_cmds, search_cmds,
                           train_cmds)

    for module in (index_cmds, search_cmds, app_cmds, model_cmds, bench_cmds, train_cmds, label_cmds, eval_cmds):
        module.register(app)


_register_commands()


def run() -> None:
    """Console-script entry: pin threads, run, turn ``TimbreError`` into one line + exit 2."""
    from timbre.runtime import pin_threads

    pin_threads()
    try:
        app()
    except TimbreError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted; finished work is kept and the next run resumes", err=True)
        sys.exit(130)


if __name__ == "__main__":
    run()
