"""``learn_embedder``: train the learned embedder on an index's previews and save it as a model folder."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import numpy as np

from timbre.errors import TimbreError
from timbre.learned.fit import FitSettings
from timbre.progress import Progress, ensure_progress

#: Previews learned from at most (a seeded sample of a larger library): their material is held in
#: memory (about 0.3 MB a preview) and each costs training time; the network then embeds them all.
DEFAULT_MAX_PRESETS = 10_000
CLIPS_PER_PRESET = 8
DEFAULT_CHANNELS, DEFAULT_DIM = 16, 128


def learn_embedder(index_path: str, models_dir: str, *, fit: FitSettings = FitSettings(),
                   max_presets: int = DEFAULT_MAX_PRESETS, channels: int = DEFAULT_CHANNELS,
                   device: str = "cpu", workers: int | None = None,
                   progress: Progress | None = None) -> dict[str, Any]:
    """Train a network on the previews of the index at ``index_path`` (no labels: each preview's
    augmented clips must find its own pitch views) and save it in ``<models_dir>/embedders``.

    ``device`` is a resolved torch device. Returns what ``config.json`` holds, with ``id`` and ``path``."""
    from timbre import __version__
    from timbre.heads.augment_cache import content_key
    from timbre.heads.config import DEFAULT_CONFIG
    from timbre.heads.train import new_head_id
    from timbre.index import open_index
    from timbre.learned.clips import prepare_material
    from timbre.learned.features import feature_spec
    from timbre.learned.store import save_learned
    from timbre.runtime import default_threads

    progress = ensure_progress(progress)
    lib = open_index(index_path)
    records = _chosen(lib.records, max_presets, fit.seed)
    items = [(record["path"], content_key(record)) for record in records]
    settings = dict(DEFAULT_CONFIG["augment"])
    started = time.perf_counter()
    made = prepare_material(items, settings, CLIPS_PER_PRESET, fit.seed, workers or default_threads(), progress)
    material = [m for m in made if m is not None]
    if len(material) < 2:
        raise TimbreError(f"{lib.path}: {len(material)} preview(s) could be decoded; learning needs at least two "
                          "— index a folder of previews first")
    prepared_s = time.perf_counter() - started
    net, losses = _train(material, fit, channels, device, progress)
    config = {
        "network": {"channels": channels, "dim": DEFAULT_DIM},
        "features": feature_spec(),
        "training": {**fit.to_dict(), "clips_per_preset": CLIPS_PER_PRESET, "augment": settings, "losses": losses,
                     "device": device, "prepare_s": round(prepared_s, 1),
                     "train_s": round(time.perf_counter() - started - prepared_s, 1)},
        "previews": {"index": lib.path, "learned_from": len(material), "undecodable": len(made) - len(material),
                     "fingerprint": _previews_fingerprint([i[1] for i, m in zip(items, made) if m is not None])},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "timbre_version": __version__,
    }
    model_id = new_head_id()
    return {"id": model_id, "path": save_learned(models_dir, model_id, net, config), **config}


def _chosen(records: list[dict], max_presets: int, seed: int) -> list[dict]:
    """All records, or a seeded sample of ``max_presets`` of them in index order."""
    if len(records) <= max_presets:
        return list(records)
    rows = np.sort(np.random.default_rng(seed).choice(len(records), max_presets, replace=False))
    return [records[row] for row in rows]


def _train(material, fit: FitSettings, channels: int, device: str, progress: Progress):
    import torch

    from timbre.devices import mps_errors
    from timbre.learned.fit import fit_network
    from timbre.learned.network import build_network
    from timbre.runtime import configure_torch

    configure_torch()
    torch.manual_seed(fit.seed)  # the network's first weights too
    net = build_network(channels, DEFAULT_DIM)
    with mps_errors(device):
        losses = fit_network(net, material, fit, progress, device)
    return net.cpu().eval(), losses


def _previews_fingerprint(keys: list[str]) -> str:
    """A short hash of the previews (their content keys) a network learned from."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]
