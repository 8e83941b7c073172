"""Training configuration of a projection head: built-in defaults + a TOML file or dict.

The defaults equal ``configs/head.toml`` in the repository (a test keeps them in sync);
a user file only needs the keys it changes. Unknown keys are refused so a typo is never
silently ignored.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from typing import Any

from timbre.errors import TimbreError

MAX_MEMBERS = 8

DEFAULT_CONFIG: dict[str, Any] = {
    "seed": 0,
    "model": {"hidden_dim": 512, "output_dim": 0, "dropout": 0.1, "members": 3},
    "loss": {"name": "infonce", "margin": 0.5, "temperature": 0.05},
    "optimizer": {"lr": 1e-3, "weight_decay": 1e-4},
    "trainer": {"max_epochs": 30, "batch_size": 256, "patience": 5, "val_fraction": 0.15,
                "negatives_per_positive": 1},
    "augment": {"enabled": True, "variants_per_preset": 4, "max_semitones": 12,
                "chord_probability": 0.3, "loop_probability": 0.5, "fx_probability": 0.5,
                "max_presets": 3000},
    "search": {"base_weight": 0.2},
}


def load_head_config(config: str | os.PathLike | dict | None = None) -> dict[str, Any]:
    """The defaults overridden by ``config`` (a TOML path or a dict); validated."""
    where = "config" if config is None or isinstance(config, dict) else str(config)
    if config is None:
        override: dict = {}
    elif isinstance(config, dict):
        override = config
    else:
        override = _read_toml(config)
    merged = copy.deepcopy(DEFAULT_CONFIG)
    _merge(merged, override, where)
    _validate(merged, where)
    return merged


def base_weight(config: dict[str, Any]) -> float:
    """The share of the base space's cosine a head's score keeps (``[search] base_weight`` of the
    settings it was trained with); 0 for heads saved before the setting existed."""
    return float(((config.get("settings") or {}).get("search") or {}).get("base_weight", 0.0))


def _read_toml(path: str | os.PathLike) -> dict:
    if not os.path.exists(path):
        raise TimbreError(f"{path}: config file not found; pass an existing TOML file to --config")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TimbreError(f"{path}: not valid TOML ({exc}); fix the file") from exc


def _merge(base: dict, override: dict, where: str, prefix: str = "") -> None:
    for key, value in override.items():
        name = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(f"{prefix}{k}" for k in base))
            raise TimbreError(f"{where}: unknown setting '{name}'; known: {known}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise TimbreError(f"{where}: '{name}' must be a table")
            _merge(base[key], value, where, f"{name}.")
        else:
            base[key] = _typed(value, base[key], name, where)


def _typed(value: Any, default: Any, name: str, where: str) -> Any:
    """``value`` if it has the default's type (a whole number where one is expected, a finite
    number for a float, true/false for a switch), else a ``TimbreError`` naming the setting."""
    if isinstance(default, bool):
        ok, kind = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, kind = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        kind = "a finite number"
    else:
        ok, kind = isinstance(value, type(default)), f"a {type(default).__name__}"
    if not ok:
        raise TimbreError(f"{where}: {name} must be {kind}, got {value!r}; fix the setting")
    return float(value) if isinstance(default, float) else value


def _validate(cfg: dict, where: str) -> None:
    from timbre.heads.losses import LOSSES

    if cfg["loss"]["name"] not in LOSSES:
        raise TimbreError(f"{where}: loss.name must be one of {', '.join(LOSSES)}, got {cfg['loss']['name']!r}")
    positive = [("model", "hidden_dim"), ("trainer", "max_epochs"), ("trainer", "batch_size"),
                ("optimizer", "lr"), ("loss", "temperature")]
    for table, key in positive:
        if not cfg[table][key] > 0:
            raise TimbreError(f"{where}: {table}.{key} must be > 0, got {cfg[table][key]!r}")
    if not 0 < cfg["trainer"]["val_fraction"] < 1:
        raise TimbreError(f"{where}: trainer.val_fraction must be between 0 and 1")
    if cfg["augment"]["max_presets"] < 0:
        raise TimbreError(f"{where}: augment.max_presets must be >= 0 (0 = every preset), "
                          f"got {cfg['augment']['max_presets']!r}")
    if not 0 <= cfg["search"]["base_weight"] < 1:
        raise TimbreError(f"{where}: search.base_weight must be >= 0 and < 1 (0 = the head's own score only), "
                          f"got {cfg['search']['base_weight']!r}")
    if not 1 <= cfg["model"]["members"] <= MAX_MEMBERS:
        raise TimbreError(f"{where}: model.members must be between 1 and {MAX_MEMBERS} (networks averaged in one head), "
                          f"got {cfg['model']['members']!r}")
    if cfg["model"]["output_dim"] < 0:
        raise TimbreError(f"{where}: model.output_dim must be >= 0 (0 = the embedder's dimension)")
