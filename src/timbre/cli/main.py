"""Entry point: builds the typer app from the per-area command modules."""

from __future__ import annotations

import sys

import typer

from timbre.cli.failures import report_failure, split_debug
from timbre.cli.help_format import PlainHelpGroup

app = typer.Typer(
    name="timbre",
    help="Find the synth presets that sound like your sample.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # Rich markup would eat help text written as "[default: ...]"
    cls=PlainHelpGroup,
)


@app.callback()
def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Print the traceback of a failure (also TIMBRE_DEBUG=1); "
                                                       "accepted anywhere on the command line"),
) -> None:
    """Global options. ``run`` takes ``--debug`` out of the command line before parsing, so it works after
    a sub-command too; declaring it here lists it in ``timbre --help``."""
    del debug


def _register_commands() -> None:
    # Each module registers its commands; none imports torch/faiss at module level.
    from timbre.cli import (app_cmds, bench_cmds, eval_cmds, index_cmds, label_cmds, learn_cmds, model_cmds,
                           search_cmds, train_cmds)

    for module in (index_cmds, search_cmds, app_cmds, model_cmds, bench_cmds, train_cmds, learn_cmds, label_cmds,
                   eval_cmds):
        module.register(app)


_register_commands()


def run() -> None:
    """Console-script entry: pin threads, run; a failure ends as one ``error:`` line (see
    ``timbre.cli.failures``): exit 2 for bad input, 1 for a bug, 130 for Ctrl-C."""
    args, debug = split_debug(sys.argv[1:])
    try:
        from timbre.runtime import pin_threads

        pin_threads()
        app(args=args)
    except (Exception, KeyboardInterrupt) as err:
        sys.exit(report_failure(err, debug))


if __name__ == "__main__":
    run()
