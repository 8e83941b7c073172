"""User configuration: which embedder (and its options) to use when none is given.

Read from ``$TIMBRE_CONFIG`` or ``$TIMBRE_HOME/config.toml`` (``~/.timbre/config.toml``);
``configs/timbre.toml`` in the repository is a commented example. Command-line options win
over the file, the file wins over built-in defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

from timbre.devices import DEFAULT_DEVICE, Placement, resolve_device
from timbre.errors import TimbreError
from timbre.runtime import timbre_home


#: Keys of ``[embedder.options]`` that say where the embedder runs rather than what it computes.
PLACEMENT_KEYS = ("device", "half")


@dataclass(frozen=True)
class EmbedderChoice:
    """An embedder name with the options that build it."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


def config_path() -> str:
    """The user's config file location (it may not exist)."""
    return os.environ.get("TIMBRE_CONFIG") or os.path.join(timbre_home(), "config.toml")


def load_config(path: str | None = None) -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none."""
    path = path or config_path()
    if not os.path.exists(path):
        return {}
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TimbreError(f"{path}: not valid TOML ({exc}); fix it or remove it") from exc


def embedder_choice(name: str | None = None, model: str | None = None,
                    config: dict[str, Any] | None = None) -> EmbedderChoice | None:
    """Resolve the embedder from CLI values, then the config's ``[embedder]`` table.

    Returns None when neither names one (an existing index then keeps its own embedder,
    a new one gets ``timbre.embedders.DEFAULT_EMBEDDER``)."""
    table = (config if config is not None else load_config()).get("embedder", {})
    chosen = name or table.get("name")
    if chosen is None:
        if model:
            raise TimbreError("--model needs --embedder (e.g. --embedder clap --model laion/larger_clap_music)")
        return None
    options = dict(table.get("options", {})) if chosen == table.get("name") else {}
    for key in PLACEMENT_KEYS:  # where it runs, not what it computes: see placement_choice
        options.pop(key, None)
    if model:
        options["model"] = model
    return EmbedderChoice(chosen, options)


def placement_choice(device: str | None = None, half: bool | None = None,
                     config: dict[str, Any] | None = None) -> Placement:
    """Where torch work runs: ``--device``/``--half``, else ``device``/``half`` in the config's
    ``[embedder.options]``, else ``auto`` in float32. An unknown name fails here; so does an
    explicit ``cuda``/``mps`` the machine lacks (``auto`` and ``cpu`` are resolved later, so
    weights-free runs never import torch)."""
    options = (config if config is not None else load_config()).get("embedder", {}).get("options", {})
    chosen = device or options.get("device") or DEFAULT_DEVICE
    if not isinstance(chosen, str):
        raise TimbreError(f"{config_path()}: embedder.options.device must be a string such as \"auto\"; fix it")
    name = chosen.strip().lower()
    if name not in ("auto", "cpu"):
        name = resolve_device(name)  # an unknown name or an absent GPU fails here, in one line
    return Placement(name, bool(options.get("half", False) if half is None else half))
