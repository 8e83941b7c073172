"""Plain, honest ``--help``: every default shown, metavars in upper case (``--top TOP``, ``DIRS...``).

Typer's Rich help eats help text written as ``[default: …]`` as markup, labels values ``<str>``
and ``<bool>`` and writes required arguments as ``{dirs}...``. The root app is built with
``rich_markup_mode=None`` (plain Click formatting, which Typer passes on to every sub-group)
and with ``PlainHelpGroup``, which gives every parameter of every command a plain metavar once,
when the command tree is built.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption


class PlainArgument(TyperArgument):
    """An argument shown as ``NAME``, ``[NAME]`` or ``NAME...`` in usage lines and help."""

    def plain_name(self) -> str:
        name = (self.name or "arg").upper()
        if not self.required:
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [self.plain_name()]

    def get_error_hint(self, ctx: Any = None) -> str:
        return f"'{(self.name or 'arg').upper()}'"

    def make_metavar(self, *args, **kwargs) -> str:
        return self.plain_name()

    def get_help_record(self, ctx: Any):
        record = super().get_help_record(ctx)
        return None if record is None else (self.plain_name(), record[1])


def plain_params(command: Any) -> None:
    """Give ``command`` (and, for a group, every command under it) plain metavars."""
    for param in command.params:
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
            param.metavar = option_metavar(param)
    for sub in getattr(command, "commands", {}).values():
        plain_params(sub)


def option_metavar(option: Any) -> str:
    """``--max-epochs`` -> ``MAX_EPOCHS``: the option's own name, not its Python variable."""
    longs = [o for o in option.opts if o.startswith("--")]
    name = longs[0][2:] if longs else (option.name or "value")
    return name.upper().replace("-", "_")


class PlainHelpGroup(TyperGroup):
    """The root group: applies ``plain_params`` to the whole command tree once it is built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_params(self)
