"""``train_head``: the one library call behind ``timbre train``."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import shutil
import uuid
from typing import TYPE_CHECKING, Any, Sequence

from timbre.devices import Placement, resolve_device
from timbre.errors import TimbreError
from timbre.heads.agreement import describe_summary
from timbre.heads.budget import Confirm, budget_rows, check_cost
from timbre.heads.config import load_head_config
from timbre.heads.pairs import ResolvedPairs, pair_files_or_default, read_pairs, resolve_records
from timbre.heads.registry import (FORMAT_VERSION, HeadInfo, commit_head, head_info, save_weights, staging_dir,
                                   write_json)
from timbre.progress import Progress, ensure_progress

if TYPE_CHECKING:
    from timbre.heads.outside import OutsideFiles

MISSING_EXAMPLES = 5


def train_head(index_path: str, *, pairs: Sequence[str] | None = None, augment: bool | None = None,
               config: str | dict | None = None, models_dir: str | None = None, max_epochs: int | None = None,
               progress: Progress | None = None, placement: Placement | None = None,
               confirm: Confirm | None = None) -> HeadInfo:
    """Train a projection head on the index at ``index_path`` and register it as ``latest``.

    ``pairs`` are pair files (see ``timbre.heads.pairs``; ``None``: ``$TIMBRE_HOME/pairs.jsonl``
    if it exists, ``()``: none); ``augment`` adds self-supervised positives (``None``: the
    config's ``augment.enabled``); ``config`` is a TOML path or a dict overriding
    ``configs/head.toml``. Judged files outside the index that can be decoded (the app's
    targets) are embedded and trained on; records naming files found nowhere are counted and
    reported (``training.missing`` of the result), never dropped silently. ``metrics.json``
    gets ``"judgments"``: how many of the producer's judgments the base space and the head
    agree with (``timbre.heads.agreement.describe_agreement`` says it in words).

    ``placement`` (default ``auto``) is where the embedder and Lightning run. Augmentation is
    limited to ``augment.max_presets`` presets (``timbre.heads.budget``); its estimated time is
    noted first and, when long, ``confirm(question)`` is asked (``None``: go ahead and say so).
    """
    from timbre.index import open_index
    from timbre.runtime import default_models_dir

    cfg = load_head_config(config)
    if max_epochs:
        cfg["trainer"]["max_epochs"] = int(max_epochs)
    augment = cfg["augment"]["enabled"] if augment is None else bool(augment)
    models_dir = models_dir or default_models_dir()
    progress = ensure_progress(progress)
    lib = open_index(index_path, placement)
    if len(lib) < 2:
        raise TimbreError(f"{lib.path}: the index holds {len(lib)} preset(s); index at least two before training")
    files = pair_files_or_default(pairs)
    if pairs is None and files:
        progress.note(f"using your judgments in {files[0]} (the default pair file)")
    records, pair_files = read_pair_files(files)
    resolved, outside = resolve_judged(lib, records, progress)
    missing = _report_missing(resolved, progress)
    _report_self_pairs(resolved, records, progress)
    if not (resolved.pairs or resolved.triplets or augment):
        raise TimbreError("nothing to train on: no usable pair of two different indexed files in the pair files and "
                          "augmentation is off; pass --pairs FILE with such pairs, or --augment")
    data = _training_data(lib, resolved, outside, augment, cfg, progress, confirm)
    progress.note(describe_summary(data.summary))
    _require_validation(data, augment)
    head_id = new_head_id()
    staging = staging_dir(models_dir, head_id)
    try:
        _fit_and_write(staging, data, cfg, progress, {
            "pair_files": pair_files, "missing": missing, "augment": augment, "summary": data.summary,
            "index": {"path": lib.path, "state_id": lib.state_id, "presets": len(lib)},
        }, lib.embedder_spec, resolve_device(lib.placement.device))
        commit_head(models_dir, staging, head_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    prepare_search(lib, models_dir, head_id, progress)
    return head_info(models_dir, head_id)


def prepare_search(lib, models_dir: str, head_id: str, progress: Progress | None = None) -> None:
    """Project ``lib``'s library (every pitch view) through head ``head_id`` and cache it in the index,
    so the first search with the new head ranks at once: at 30,000 presets with ``spectral``'s 36
    views this takes about half a minute on 2 cores, better spent while the producer expects to wait."""
    from timbre.devices import resolve_device
    from timbre.heads.registry import load_head
    from timbre.search.space import library_space

    progress = ensure_progress(progress)
    progress.start(1, "projecting the library through the new head", unit="step")
    try:
        library_space(lib, load_head(models_dir, head_id, device=resolve_device(lib.placement.device)))
        progress.advance()
    except TimbreError as err:  # the head is saved: its first search projects instead, and says why it cannot
        progress.note(f"the library was not projected through the new head yet: {err}")
    finally:
        progress.close()


def new_head_id(now: dt.datetime | None = None) -> str:
    """``YYYYmmdd-HHMMSS-xxxxxx`` (UTC): sorts by creation time, unique."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def read_pair_files(paths: Sequence[str]) -> tuple[list[dict], list[dict]]:
    """The validated records of the pair files at ``paths`` and, per file, its path, SHA-256
    and record count (what a head's ``config.json`` records)."""
    records, described = [], []
    for path in paths:
        found = read_pairs(path)
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        records.extend(found)
        described.append({"path": os.path.abspath(path), "sha256": digest, "records": len(found)})
    return records, described


def resolve_judged(lib, records: list[dict], progress: Progress) -> tuple[ResolvedPairs, OutsideFiles | None]:
    """Records to table rows: the index's presets (rows ``0..n-1``), then the judged files on
    disk outside the index (rows ``n..``, the vectors of the returned ``OutsideFiles``)."""
    from timbre.heads.outside import embed_outside_files

    resolved = resolve_records(records, lib.paths, lib.hashes)
    on_disk = sorted({path for _, _, path in resolved.missing if os.path.isfile(path)})
    if not on_disk:
        return resolved, None
    outside = embed_outside_files(lib, on_disk, progress)
    if len(outside):
        resolved = resolve_records(records, lib.paths + outside.paths, lib.hashes + outside.hashes)
    return resolved, outside


def _report_missing(resolved: ResolvedPairs, progress: Progress) -> dict[str, Any]:
    ids = sorted({rec_id for rec_id, _, _ in resolved.missing})
    examples = sorted({path for _, _, path in resolved.missing})[:MISSING_EXAMPLES]
    if ids:
        progress.note(f"{len(ids)} pair record(s) name files not in the index and are left out "
                      f"(first: {', '.join(examples)}); index those files or fix the pair file")
    return {"records": len(ids), "examples": examples}


def _report_self_pairs(resolved: ResolvedPairs, records: list[dict], progress: Progress) -> None:
    if not resolved.self_pairs:
        return
    dropped = set(resolved.self_pairs)
    first = next(r for r in records if r["id"] in dropped)
    example = first.get("a_path") or first.get("anchor_path") or first.get("a_hash") or first.get("anchor_hash")
    progress.note(f"{len(dropped)} pair record(s) name one file twice and are left out (first: {example}); "
                  "a judgment needs two different files")


def _require_validation(data, augment: bool) -> None:
    """Refuse to train a head nothing can validate (it would become ``latest`` unchecked)."""
    if len(data.val) or len(data.val_queries):
        return
    advice = "add judgments" + ("" if augment else " or train with --augment")
    raise TimbreError(f"no validation possible: none of the {len(data.train)} training example(s) touches one of "
                      f"the {int(data.val_presets.sum())} held-out preset(s), so the head could not be checked; "
                      f"{advice}")


def _training_data(lib, resolved: ResolvedPairs, outside: OutsideFiles | None, augment: bool, cfg: dict,
                   progress: Progress, confirm: Confirm | None):
    from timbre.heads.examples import build_training_data
    from timbre.index.views import view_vectors

    clips, owner = _augmented(lib, cfg, progress, confirm) if augment else (None, None)
    return build_training_data(lib.vectors, lib.hashes, resolved, clips, owner,
                               extra=outside.vectors if outside is not None and len(outside) else None,
                               views=view_vectors(lib),
                               val_fraction=cfg["trainer"]["val_fraction"],
                               negatives_per_positive=cfg["trainer"]["negatives_per_positive"], seed=cfg["seed"])


def _augmented(lib, cfg: dict, progress: Progress, confirm: Confirm | None):
    """Augmented views of the presets within ``augment.max_presets``, with the cost estimate first."""
    from functools import partial

    from timbre.heads.augment import augmented_views

    settings = cfg["augment"]
    rows = budget_rows(lib.records, settings["max_presets"], cfg["seed"])
    if len(rows) < len(lib):
        progress.note(f"augmenting {len(rows)} of {len(lib)} presets (augment.max_presets = {settings['max_presets']}, "
                      f"a seeded sample across folders); all {len(lib)} are still trained on")
    check = partial(check_cost, embedder=lib.embedder_spec["name"], progress=progress, confirm=confirm)
    return augmented_views(lib, settings, cfg["seed"], progress, rows=rows, check_cost=check)


def _fit_and_write(folder: str, data, cfg: dict, progress: Progress, training: dict, embedder_spec: dict,
                   device: str) -> None:
    """Train the head's members, then write weights, config.json, metrics.json and the curve into ``folder``."""
    import pytorch_lightning as pl
    import torch

    import timbre
    from timbre.heads.agreement import disagreement_note, judgment_agreement
    from timbre.heads.curve import plot_training_curve
    from timbre.heads.examples import evaluate_projection
    from timbre.heads.model import ProjectionHead

    fits = _fit_members(folder, data, cfg, progress, device)
    nets = [fit.net for fit in fits]
    # the figures describe the head as search will use it, every member and the base share included
    projected = ProjectionHead(nets, "", embedder_spec["fingerprint"], {"settings": cfg}).project(data.table)
    before, after = evaluate_projection(data.table, data), evaluate_projection(projected, data)
    _require_finite_figures(before, after)
    judged = judgment_agreement(data.table, projected, data.judgments, before["threshold"], after["threshold"])
    note = disagreement_note(judged, training["augment"])
    if note:
        progress.note(note)
    first, seconds, epochs = fits[0], round(sum(fit.seconds for fit in fits), 2), sum(fit.epochs for fit in fits)
    metrics = {"before": before, "after": after, "judgments": judged,
               "monitor": first.monitor, "epochs": epochs, "train_seconds": seconds, "history": first.history,
               "members": [{"seed": cfg["seed"] + i, "epochs": fit.epochs, "train_seconds": round(fit.seconds, 2)}
                           for i, fit in enumerate(fits)]}
    save_weights(folder, nets)
    write_json(os.path.join(folder, "metrics.json"), _finite(metrics))
    write_json(os.path.join(folder, "config.json"), {
        "format_version": FORMAT_VERSION, "architecture": "residual_mlp",
        "dims": {"input": first.net.input_dim, "hidden": cfg["model"]["hidden_dim"], "output": first.net.output_dim,
                 "members": len(nets)},
        "loss": cfg["loss"], "settings": cfg,
        "embedder": {"name": embedder_spec["name"], "fingerprint": embedder_spec["fingerprint"],
                     "options": embedder_spec.get("options", {})},
        "training": {**training, "epochs": epochs, "train_seconds": seconds},
        "versions": {"timbre": timbre.__version__, "torch": torch.__version__, "lightning": pl.__version__},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    })
    plot_training_curve(first.history, os.path.join(folder, "logs", "metrics.csv"),
                        os.path.join(folder, "training_curve.png"), first.monitor)


def _fit_members(folder: str, data, cfg: dict, progress: Progress, device: str) -> list:
    """One fit per member on the same examples, member i seeded ``seed + i`` (its first weights,
    shuffling and dropout); member 0 is the head a single-network config trains. Lightning's logs of
    member 0 go to ``logs/``, the others' to ``members/<i>/logs/``."""
    from timbre.heads.fit import fit_projection

    members, fits = cfg["model"]["members"], []
    for i in range(members):
        label = f"training head, network {i + 1} of {members}" if members > 1 else "training head"
        log_dir = folder if i == 0 else os.path.join(folder, "members", str(i))
        fit = fit_projection(data, {**cfg, "seed": cfg["seed"] + i}, log_dir=log_dir, progress=progress,
                             device=device, label=label)
        _require_finite_weights(fit.net)
        fits.append(fit)
    return fits


DIVERGED = "training diverged; lower [optimizer] lr in a --config file, check the pair weights, and train again"


def _require_finite_weights(net) -> None:
    from timbre.heads.model import non_finite_tensors

    broken = non_finite_tensors(net.state_dict())
    if broken:
        raise TimbreError(f"the trained head's weights hold NaN or inf ({broken[0]}), no head was saved: {DIVERGED}")


def _require_finite_figures(before: dict, after: dict) -> None:
    """A validation figure the base space has must be a number for the head too."""
    for name, value in after.items():
        if isinstance(value, float) and not math.isfinite(value) and math.isfinite(before.get(name, math.nan)):
            raise TimbreError(f"the trained head's validation {name} is {value} (base {before[name]:.3f}), "
                              f"no head was saved: {DIVERGED}")


def _finite(obj: Any) -> Any:
    """NaN and inf -> None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
