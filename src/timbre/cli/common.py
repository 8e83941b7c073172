"""Options and printing helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from timbre.runtime import default_index_path, default_models_dir


def index_option() -> Any:
    return typer.Option(None, "--index", "-i", help="Index folder [default: $TIMBRE_INDEX or ~/.timbre/index]")


def models_option() -> Any:
    return typer.Option(None, "--models", help="Models folder [default: $TIMBRE_MODELS or ~/.timbre/models]")


def device_option() -> Any:
    return typer.Option(None, "--device", help="Where torch models run: auto (cuda, then mps, then cpu) | cpu | cuda "
                                               "| mps [default: config's embedder.options.device, else auto]")


def half_option() -> Any:
    return typer.Option(None, "--half/--no-half", help="Half precision (float16 on a GPU, bfloat16 on the CPU), kept "
                                                       "only if vectors stay within cosine 0.999 of float32 (and, on "
                                                       "the CPU, it is faster) [default: config, else off]")


def resolve_placement(device: str | None, half: bool | None):
    """The ``timbre.devices.Placement`` for ``--device``/``--half`` and the user config."""
    from timbre.config import placement_choice

    return placement_choice(device, half)


def resolve_index(path: str | None) -> str:
    return path or default_index_path()


def resolve_models(path: str | None) -> str:
    return path or default_models_dir()


def print_json(obj: Any) -> None:
    """Stable JSON for scripts: sorted keys, UTF-8, one document on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def progress_bar():
    """A tqdm progress reporter on stderr (quiet when stderr is not a terminal and CI is set)."""
    from timbre.progress import TqdmProgress

    return TqdmProgress()


def textures_option() -> Any:
    return typer.Option(
        None, "--view-textures", help="What each pitch view plays: note (the preview shifted), chord (a major and "
        "a minor triad of it), arp (an 8-note arpeggio of it), comma-separated, or 'all'. Chords and arpeggios "
        "let loops of chords and fast notes find their preset, at 4x the views' embedding time "
        "[default: keep the index's; a new index gets 'all' with spectral and mfcc, 'note' with embedders "
        "that have weights]")


def parse_view_textures(text: str | None) -> tuple[str, ...] | None:
    """The ``--view-textures`` value (``None``: not given); a bad value is one ``TimbreError`` line."""
    from timbre.index.view_textures import parse_textures

    return _parsed(parse_textures, text)


def parse_views(text: str | None) -> tuple[int, ...] | None:
    """The ``--views`` value as semitones (``None``: not given); a bad value is one ``TimbreError`` line."""
    from timbre.index.views import parse_semitones

    return _parsed(parse_semitones, text)


def _parsed(parse, text: str | None):
    from timbre.errors import TimbreError

    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise TimbreError(str(exc)) from None
