"""`--help` of every command shows every default and plain metavars (no `<str>`, `<bool>`, `{dirs}`)."""

import re
import sys

import pytest
from typer.main import get_command

from timbre.cli.main import app, run


def _leaf_commands(command, path=()):
    subs = getattr(command, "commands", None)
    if not subs:
        yield path, command
        return
    for name, sub in subs.items():
        yield from _leaf_commands(sub, (*path, name))


COMMANDS = list(_leaf_commands(get_command(app)))


def _help(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["timbre", *args, "--help"])
    with pytest.raises(SystemExit) as exc:
        run()
    assert exc.value.code in (0, None)
    return " ".join(capsys.readouterr().out.split())


def test_every_command_is_covered():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"index", "search", "train", "heads show", "label pull", "bench render", "models convert"} <= names


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_shows_defaults_and_plain_metavars(path, command, monkeypatch, capsys):
    text = _help(monkeypatch, capsys, *path)
    assert not re.search(r"<(str|bool|int|float|list)[^>]*>", text), text
    assert not re.search(r"\{\w+\}", text), text
    for param in command.params:
        written = re.search(r"\[default: [^\]]*\]", param.help or "")
        if written:
            assert " ".join(written.group(0).split()) in text, f"{path} {param.name}: {written.group(0)} eaten"
        elif param.default not in (None, False, [], ()) and getattr(param, "show_default", True):
            assert f"default: {param.default}" in text, f"{path} {param.name}: default {param.default} hidden"
        if param.param_type_name == "argument":
            assert param.name.upper() in text


def test_label_pull_out_names_its_default(monkeypatch, capsys):
    assert "Pair file [default: $TIMBRE_HOME/pairs.jsonl]" in _help(monkeypatch, capsys, "label", "pull")


def test_index_usage_line_is_plain(monkeypatch, capsys):
    assert "index [OPTIONS] DIRS..." in _help(monkeypatch, capsys, "index")
