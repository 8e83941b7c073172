"""What augmentation costs a head's training: a preset budget and a time estimate before it starts.

``timbre train --augment`` embeds ``variants_per_preset`` augmented clips of every preset with
the index's embedder; with a neural embedder on a large library that is hours. Two controls:

* ``augment.max_presets`` (``configs/head.toml``; 0 = every preset) caps the presets that are
  augmented. The sample is stratified by folder (each folder's share of the library, largest
  remainders first) and, inside a folder, ordered by a hash of the seed and the preview's
  content, so it is seeded, independent of file order, and stable as the library grows: a
  preset once chosen stays chosen while its folder's quota does not shrink, and its cached
  clips are reused. Every preset still takes part in training as a library row and negative.
* Before the clips are embedded, the per-clip cost is measured on a few presets and the total
  is printed; above ``CONFIRM_SECONDS`` the caller's ``confirm`` is asked (``timbre train``:
  a prompt, ``--yes``, or going ahead when nobody can answer).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Callable, Sequence

from timbre.errors import TimbreError
from timbre.heads.augment_cache import content_key
from timbre.progress import Progress

#: An estimate above this many seconds asks before embedding.
CONFIRM_SECONDS = 600.0
#: Presets embedded to measure the per-clip cost: one warms the model up, the others (spread over
#: the library: clip lengths differ by folder) are timed.
WARMUP_PRESETS = 1
MEASURED_PRESETS = 4

Confirm = Callable[[str], bool]


def budget_rows(records: Sequence[dict], max_presets: int, seed: int = 0) -> list[int]:
    """Rows of the presets to augment: all when ``max_presets`` is 0 or covers the library, else a
    stratified, seeded sample of ``max_presets`` (see the module docstring), in row order."""
    if max_presets <= 0 or max_presets >= len(records):
        return list(range(len(records)))
    by_folder: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(records):
        by_folder[str(record.get("folder", ""))].append(row)
    quotas = _quotas({f: len(rows) for f, rows in by_folder.items()}, max_presets, seed)
    chosen: list[int] = []
    for folder, rows in by_folder.items():
        ranked = sorted(rows, key=lambda row: (_draw(seed, content_key(records[row])), row))
        chosen += ranked[: quotas[folder]]
    return sorted(chosen)


def _quotas(sizes: dict[str, int], budget: int, seed: int) -> dict[str, int]:
    """Largest-remainder shares of ``budget`` proportional to ``sizes``; ties broken by a seeded hash."""
    total = sum(sizes.values())
    exact = {f: budget * n / total for f, n in sizes.items()}
    quotas = {f: math.floor(x) for f, x in exact.items()}
    left = budget - sum(quotas.values())
    order = sorted(sizes, key=lambda f: (-(exact[f] - quotas[f]), _draw(seed, f"folder:{f}")))
    for folder in order[:left]:
        quotas[folder] += 1
    return quotas


def _draw(seed: int, key: str) -> int:
    return int(hashlib.sha1(f"budget:{seed}:{key}".encode()).hexdigest()[:15], 16)


def describe_duration(seconds: float) -> str:
    """``42 s``, ``12 min``, ``3 h 20 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def check_cost(clips: int, seconds_per_clip: float, measured: int, processes: int, embedder: str,
               progress: Progress, confirm: Confirm | None) -> None:
    """Print the estimate for embedding ``clips`` more clips, ``seconds_per_clip`` each in one
    process, shared by ``processes``; ask ``confirm`` when it is long.

    ``confirm`` None: go ahead and say so. A ``False`` answer raises ``TimbreError`` (nothing saved)."""
    seconds = clips * seconds_per_clip / max(processes, 1)
    shared = f", {processes} processes sharing them" if processes > 1 else ""
    progress.note(f"augmentation: {clips} more clips to embed with {embedder}, about {describe_duration(seconds)} "
                  f"({seconds_per_clip * 1000:.1f} ms a clip, measured on {measured} clips{shared})")
    if seconds < CONFIRM_SECONDS:
        return
    if confirm is None:
        progress.note("going ahead without asking (no one to confirm); set augment.max_presets to embed fewer")
        return
    if not confirm(f"Embedding them takes about {describe_duration(seconds)}. Go ahead?"):
        raise TimbreError(f"training cancelled before embedding {clips} augmented clips (about "
                          f"{describe_duration(seconds)}) — set a smaller augment.max_presets in a --config file, "
                          f"or pass --yes to go ahead")
