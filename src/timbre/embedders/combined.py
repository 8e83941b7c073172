"""Combined spaces: several embedders concatenated with weights, named ``spectral+mfcc`` or
``spectral:0.7+mfcc:0.3``.

Each part's unit vector is scaled by ``sqrt(weight / total)`` before concatenation, so the
concatenation is already a unit vector and its cosine with another is the weighted mean of the
parts' cosines. The index decodes once, at the highest rate of the parts; each part gets its
clip resampled to its own rate. Text queries go through the parts that have a text tower; the
others contribute zeros (their share of the cosine is then 0 for every preset alike, so the
ranking is the text parts').
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from timbre.embedders.base import Embedder, l2_normalize
from timbre.errors import TimbreError

SEPARATOR = "+"
TARGET = "timbre.embedders.combined:CombinedEmbedder"


def is_combined(name: str) -> bool:
    """Whether ``name`` names a combined space (``a+b``) rather than one registered embedder."""
    return SEPARATOR in name


def parse_parts(name: str) -> list[tuple[str, float]]:
    """``[(part name, weight), ...]`` of a combined name; a part without ``:weight`` weighs 1."""
    parts = []
    for piece in name.split(SEPARATOR):
        part, _, weight = piece.strip().partition(":")
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            value = float("nan")
        if not part or not np.isfinite(value) or value <= 0:
            raise TimbreError(f"embedder '{name}': '{piece}' is not NAME or NAME:WEIGHT with a weight above 0 — "
                              "write e.g. spectral:0.7+mfcc:0.3")
        parts.append((part, value))
    if len({p for p, _ in parts}) != len(parts):
        raise TimbreError(f"embedder '{name}' names a part twice — give each embedder once, with its weight")
    return parts


def canonical_name(name: str) -> str:
    """The stored spelling: equal weights are left out (``spectral:1+mfcc:1`` is ``spectral+mfcc``)."""
    if not is_combined(name):
        return name
    return _name_of(parse_parts(name))


def _name_of(parts: Sequence[tuple[str, float]]) -> str:
    weights = {w for _, w in parts}
    if len(weights) == 1:
        return SEPARATOR.join(p for p, _ in parts)
    return SEPARATOR.join(f"{p}:{w:g}" for p, w in parts)


class CombinedEmbedder(Embedder):
    """Weighted concatenation of other embedders (``spectral+mfcc``); one fingerprint of all parts.
    ``columns[i]`` is the ``(start, stop)`` of part ``i``'s columns in its vectors."""

    name = "combined"

    def __init__(self, parts: Sequence[dict[str, Any]], placement=None):
        from timbre.embedders import load_embedder

        specs = [{"name": str(p["name"]), "weight": float(p.get("weight", 1.0)),
                  "options": dict(p.get("options") or {})} for p in parts]
        if len(specs) < 2:
            raise TimbreError("a combined embedder needs at least two parts — write e.g. spectral+mfcc")
        for spec in specs:
            if is_combined(spec["name"]) or not spec["weight"] > 0:
                raise TimbreError(f"combined part {spec['name']!r} (weight {spec['weight']}) must be one embedder "
                                  "with a weight above 0")
        self.parts = [load_embedder(s["name"], placement=placement, **s["options"]) for s in specs]
        total = sum(s["weight"] for s in specs)
        self.weights = [s["weight"] / total for s in specs]
        super().__init__(parts=[{**s, "options": part.options} for s, part in zip(specs, self.parts)])
        self.name = _name_of([(s["name"], s["weight"]) for s in specs])
        self.sample_rate = max(int(part.sample_rate) for part in self.parts)
        self.dim = sum(int(part.dim) for part in self.parts)
        self.columns = column_ranges([int(part.dim) for part in self.parts])
        self.parallel_safe = all(part.parallel_safe for part in self.parts)
        self.batch_size = min(part.batch_size for part in self.parts)
        self.supports_text = any(part.supports_text for part in self.parts)
        self.view_textures = tuple(t for t in self.parts[0].view_textures
                                   if all(t in part.view_textures for part in self.parts))

    @classmethod
    def from_name(cls, name: str, placement=None, **options: Any) -> "CombinedEmbedder":
        """Build ``name`` (``a:w+b:w``); ``options`` are ``parts=`` as stored in an index, or a
        ``model=`` for the one part that loads weights (``spectral+clap --model ...``); ``placement``
        (``timbre.devices.Placement``) goes to every part."""
        if "parts" in options:
            return cls(options["parts"], placement)
        parts = [{"name": part, "weight": weight, "options": {}} for part, weight in parse_parts(name)]
        model = options.pop("model", None)
        if options:
            raise TimbreError(f"embedder '{name}': options {sorted(options)} are not understood — a combined "
                              "embedder takes --model for its one neural part")
        if model is not None:
            _give_model(name, parts, model)
        return cls(parts, placement)

    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        from timbre.audio import resample

        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        blocks = []
        for part, weight in zip(self.parts, self.weights):
            clips = [resample(np.asarray(clip, np.float32), self.sample_rate, int(part.sample_rate))
                     for clip in batch]
            blocks.append(np.sqrt(weight) * l2_normalize(part.embed_audio(clips)))
        return l2_normalize(np.concatenate(blocks, axis=1))

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        if not self.supports_text:
            return super().embed_text(texts)
        blocks = []
        for part, weight in zip(self.parts, self.weights):
            if part.supports_text:
                blocks.append(np.sqrt(weight) * l2_normalize(part.embed_text(list(texts))))
            else:
                blocks.append(np.zeros((len(texts), int(part.dim)), np.float32))
        return l2_normalize(np.concatenate(blocks, axis=1))

    def fingerprint_parts(self) -> dict[str, Any]:
        return {"parts": [[part.name, round(weight, 6), part.fingerprint()]
                          for part, weight in zip(self.parts, self.weights)]}


def column_ranges(widths: Sequence[int]) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of consecutive blocks of these widths: each part's columns."""
    ends = np.cumsum(widths).tolist()
    return [(int(end - width), int(end)) for end, width in zip(ends, widths)]


def _give_model(name: str, parts: list[dict[str, Any]], model: str) -> None:
    """Hand ``model`` to the single part that loads weights (not weights-free)."""
    from timbre.embedders import embedder_class

    neural = [p for p in parts if not embedder_class(p["name"]).parallel_safe]
    if len(neural) != 1:
        raise TimbreError(f"--model with '{name}' needs exactly one neural part (it has {len(neural)}) — set each "
                          "part's options in config.toml's [embedder] table instead")
    neural[0]["options"]["model"] = model
