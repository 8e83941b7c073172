"""Learned embedders on disk: ``<models>/embedders/<id>/`` holding ``model.safetensors`` and
``config.json`` (format version, network shape, features, training settings and losses, a
fingerprint of the previews it learned from, creation time). Written under a temporary name and
renamed when complete, so a crash never leaves half a model. Ids start with their UTC creation
time, so the newest sorts last; ``latest`` (or no ``--model``) means the newest.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from timbre.errors import ModelLoadError

FORMAT_VERSION = 1
KIND = "learned"
LATEST = "latest"
WEIGHTS_FILE, CONFIG_FILE, TMP_PREFIX = "model.safetensors", "config.json", ".tmp-"
HINT = "run `timbre learn` to train one from your index"


def learned_dir(models_dir: str) -> str:
    """``<models>/embedders``."""
    return os.path.join(os.path.abspath(models_dir), "embedders")


def save_learned(models_dir: str, model_id: str, net, config: dict[str, Any]) -> str:
    """Write ``net``'s weights and ``config`` as ``<models>/embedders/<model_id>`` (atomically); its path."""
    from timbre.heads.registry import save_weights, write_json

    final = os.path.join(learned_dir(models_dir), model_id)
    staging = os.path.join(learned_dir(models_dir), TMP_PREFIX + model_id)
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        save_weights(staging, net)
        write_json(os.path.join(staging, CONFIG_FILE), {"format_version": FORMAT_VERSION, "kind": KIND, **config})
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def learned_ids(models_dir: str) -> list[str]:
    """Ids of the complete learned embedders, oldest first."""
    from timbre.heads.registry import complete_ids

    return complete_ids(learned_dir(models_dir), CONFIG_FILE)


def resolve_learned(model: str | None, models_dir: str) -> str:
    """The folder of ``model``: a folder path, an id in ``<models>/embedders``, or ``latest``/None (the newest)."""
    if model and model != LATEST:
        path = os.path.abspath(os.path.expanduser(model))
        if os.path.isdir(path):
            return path
        if os.path.isdir(os.path.join(learned_dir(models_dir), model)):
            return os.path.join(learned_dir(models_dir), model)
        raise ModelLoadError(f"{model}: no learned embedder there (a folder from `timbre learn`, or an id in "
                             f"{learned_dir(models_dir)}) — {HINT}")
    ids = learned_ids(models_dir)
    if not ids:
        raise ModelLoadError(f"{learned_dir(models_dir)}: no learned embedder yet — {HINT}, or pass --model FOLDER")
    return os.path.join(learned_dir(models_dir), ids[-1])


def read_learned_config(folder: str) -> dict[str, Any]:
    """A model folder's ``config.json``, checked; ``ModelLoadError`` when missing, damaged or too new."""
    import json

    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.isfile(path):
        raise ModelLoadError(f"{folder}: not a folder from `timbre learn` (it has no {CONFIG_FILE}) — {HINT}, "
                             "or pass --model FOLDER")
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
        version, network = config["format_version"], config["network"]
        int(network["channels"]), int(network["dim"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{path}: missing or damaged learned-embedder config ({type(exc).__name__}) — "
                             f"{HINT} again") from None
    if version != FORMAT_VERSION or config.get("kind") != KIND:
        raise ModelLoadError(f"{path}: not a learned embedder of format {FORMAT_VERSION} (found "
                             f"{config.get('kind')} {version}) — upgrade timbre, or {HINT} again")
    return config


def load_network(folder: str):
    """The network of the model folder (eval mode, CPU) and its config."""
    from timbre.learned.features import feature_spec
    from timbre.learned.network import build_network

    config = read_learned_config(folder)
    if config.get("features") != feature_spec():
        raise ModelLoadError(f"{folder}: made with other audio features than this timbre computes — {HINT} again")
    net = build_network(int(config["network"]["channels"]), int(config["network"]["dim"]))
    try:
        from safetensors.torch import load_file

        net.load_state_dict(load_file(os.path.join(folder, WEIGHTS_FILE)))
    except Exception as exc:  # missing or truncated file, wrong shapes
        raise ModelLoadError(f"{os.path.join(folder, WEIGHTS_FILE)}: cannot load the weights "
                             f"({type(exc).__name__}) — {HINT} again") from None
    return net.eval(), config
