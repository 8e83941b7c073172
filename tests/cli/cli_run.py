"""Run the CLI in-process as a user would (through ``timbre.cli.main.run``, so failures end as the
one ``error:`` line): shared by the CLI tests of every area."""

import sys


def timbre(monkeypatch, capsys, *args):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from timbre.cli.main import run

    monkeypatch.setattr(sys, "argv", ["timbre", *map(str, args)])
    try:
        run()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err
