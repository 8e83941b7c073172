"""One call for the CLI: open the index, load an optional head, answer audio and text targets."""

from __future__ import annotations

import dataclasses

from timbre.errors import AudioError, TimbreError
from timbre.search.engine import search_audio, search_text
from timbre.search.results import SearchResult


def search_library(index_path: str, targets: list[str], texts: list[str] = (), *, top: int = 10,
                   method: str = "flat", head_ref: str | None = None, models_dir: str | None = None,
                   rerank: int | None = None, progress=None, placement=None,
                   tags: list[str] = (), thorough: bool = False) -> list[SearchResult]:
    """Results for the audio ``targets`` then the ``texts``, against one opened index.

    ``head_ref`` names a trained head in ``models_dir`` ("latest" or an id). Every target that
    fails comes back with its ``error`` (none is raised); audio results carry a ``hint`` when
    the target is very short or near silent. ``placement`` (``timbre.devices.Placement``, default
    ``auto``) is where the embedder and the head run. ``tags`` keeps only presets carrying any of
    them (:mod:`timbre.tags`). ``thorough`` also compares the audio targets' notes with the presets
    (slower; text queries are unaffected)."""
    from timbre.index import open_index

    if not targets and not texts:
        raise TimbreError("nothing to search for; pass audio files and/or --text \"...\"")
    if rerank is not None and head_ref is None:
        raise TimbreError("--rerank needs a head to rescore with; add --head latest (or a head id)")
    lib = open_index(index_path, placement)
    head = _load_head(models_dir, head_ref, lib) if head_ref else None
    keep = None
    if tags:
        from timbre.tags import tag_mask

        keep = tag_mask(lib, tags)
    results: list[SearchResult] = []
    if targets:
        found = search_audio(lib, list(targets), top=top, method=method, head=head, rerank=rerank,
                             progress=progress, raise_if_all_fail=False, keep=keep, thorough=thorough)
        results += [r if r.error else dataclasses.replace(r, hint=target_hint(r.target)) for r in found]
    if texts:
        results += search_text(lib, list(texts), top=top, method=method, head=head, rerank=rerank, keep=keep)
    return results


def _load_head(models_dir: str | None, ref: str, lib):
    """The head ``ref`` on ``lib``'s device, fitted to ``lib`` (``timbre.heads.part_head.head_for_index``)."""
    from timbre.devices import resolve_device
    from timbre.heads.part_head import head_for_index
    from timbre.heads.registry import load_head
    from timbre.runtime import default_models_dir

    return head_for_index(load_head(models_dir or default_models_dir(), ref,
                                    device=resolve_device(lib.placement.device)), lib)


def target_hint(path: str) -> str | None:
    """Why a target's scores may mislead (very short, near silent), or ``None``; the app's rule
    (``timbre.workspace.targets.level_hint``), so both say the same."""
    from timbre.audio import audio_info
    from timbre.workspace.targets import level_hint

    try:
        return level_hint(path, audio_info(path).duration)
    except AudioError:
        return None
