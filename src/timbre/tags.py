"""Tags for every preset: synth categories (pad, lead, bass, ...) from two sources.

* **Names.** Preset and folder names often say it: a prefix (``LD Screamer``, ``PD_Warm``,
  ``BS - Sub``) or a word (``Warm Pad 3``, a folder ``Plucks``).
* **Audio, zero-shot.** With a text-capable embedder (e.g. clap), each category's prompts
  ("a synth pad sound") are embedded by the text tower and every preset is scored by cosine.
  Raw text-audio cosines carry a per-prompt bias, so a score is calibrated against the library
  itself: the robust z-score of the preset's cosine among all presets' cosines for that category
  (a category is a minority of a library, so the median and MAD describe the presets outside it).
  A tag is kept when that z-score clears ``AUDIO_MARGIN`` and the category is among the preset's
  ``AUDIO_TOP`` best.

Tags are computed once per index state and embedder and cached in the index's cache folder.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Sequence

import numpy as np

from timbre.errors import TimbreError

VERSION = 1
#: Category -> text prompts (averaged) for the zero-shot tags.
PROMPTS = {
    "pad": ["a synth pad sound", "a soft evolving pad"],
    "lead": ["a synth lead sound", "a lead synth melody"],
    "bass": ["a synth bass sound", "a deep bass"],
    "pluck": ["a synth pluck sound", "a short plucked synth"],
    "keys": ["a synth keys sound", "an electric piano keys sound"],
    "bell": ["a synth bell sound", "a metallic bell"],
    "brass": ["a synth brass sound", "a brass section"],
    "strings": ["a synth strings sound", "a string ensemble"],
    "fx": ["a synth fx sound effect", "a riser or noise sweep sound effect"],
    "arp": ["an arpeggiated synth arp", "a synth arp sequence"],
    "organ": ["an organ sound", "a synth organ"],
    "chord": ["a synth chord stab", "a chord sound"],
    "drone": ["a dark ambient drone", "a long drone texture"],
    "vocal": ["a vocal synth sound", "a choir vocal sound"],
    "perc": ["a percussive synth hit", "a drum sound"],
}
#: Robust z-score a zero-shot score must reach, and how many best categories a preset may take.
AUDIO_MARGIN = 2.0
AUDIO_TOP = 2
MIN_SPREAD = 0.02
#: Prefixes that name a category only at the start of a preset name (``LD Screamer``).
PREFIXES = {
    "ld": "lead", "pd": "pad", "bs": "bass", "ba": "bass", "pl": "pluck", "plk": "pluck", "key": "keys",
    "ky": "keys", "kb": "keys", "bl": "bell", "br": "brass", "brs": "brass", "st": "strings", "str": "strings",
    "fx": "fx", "sfx": "fx", "arp": "arp", "sq": "arp", "seq": "arp", "org": "organ", "ch": "chord",
    "chd": "chord", "vox": "vocal", "vo": "vocal", "dr": "perc", "pc": "perc", "prc": "perc", "dn": "drone",
}
#: Words that name a category anywhere in a preset or folder name (plurals too).
WORDS = {
    "pad": "pad", "pads": "pad", "lead": "lead", "leads": "lead", "bass": "bass", "basses": "bass",
    "sub": "bass", "subs": "bass", "pluck": "pluck", "plucks": "pluck", "keys": "keys", "key": "keys",
    "piano": "keys", "epiano": "keys", "rhodes": "keys", "bell": "bell", "bells": "bell", "brass": "brass",
    "strings": "strings", "string": "strings", "fx": "fx", "sfx": "fx", "riser": "fx", "risers": "fx",
    "sweep": "fx", "arp": "arp", "arps": "arp", "arpeggio": "arp", "seq": "arp", "sequence": "arp",
    "organ": "organ", "organs": "organ", "chord": "chord", "chords": "chord", "stab": "chord",
    "drone": "drone", "drones": "drone", "vox": "vocal", "vocal": "vocal", "vocals": "vocal", "choir": "vocal",
    "perc": "perc", "percussion": "perc", "drum": "perc", "drums": "perc",
}
#: Folder levels above a preset whose names count (its bank folder and the one above).
FOLDER_LEVELS = 2


def name_tags(name: str, folder: str = "") -> list[str]:
    """Categories a preset's ``name`` (prefix or word) and its last folders (words) spell out."""
    found = set()
    tokens = _tokens(name)
    if tokens and tokens[0] in PREFIXES:
        found.add(PREFIXES[tokens[0]])
    folders = [part for part in re.split(r"[\\/]", folder) if part][-FOLDER_LEVELS:]
    for token in tokens + [t for part in folders for t in _tokens(part)]:
        if token in WORDS:
            found.add(WORDS[token])
    return sorted(found)


def _tokens(text: str) -> list[str]:
    """Lower-case words of ``text``: split on anything not a letter and on camelCase ("WarmPad")."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return [t.lower() for t in re.findall(r"[A-Za-z]+", spaced)]


def audio_scores(vectors: np.ndarray, embedder) -> np.ndarray:
    """``(rows, categories)`` cosines of each preset with each category's mean prompt vector."""
    prompts = [prompt for category in PROMPTS for prompt in PROMPTS[category]]
    text = np.asarray(embedder.embed_text(prompts), np.float32)
    sizes = np.cumsum([0] + [len(p) for p in PROMPTS.values()])
    centroids = np.stack([text[a:b].mean(axis=0) for a, b in zip(sizes[:-1], sizes[1:])])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids = np.where(norms > 0, centroids / np.maximum(norms, 1e-12), 0.0)
    return np.asarray(vectors, np.float32) @ centroids.T.astype(np.float32)


def calibrated(scores: np.ndarray) -> np.ndarray:
    """Per-category robust z-scores: distance from the library's median cosine for the category, in
    units of its spread (1.4826 x MAD, at least ``MIN_SPREAD``: closer cosines than that are noise)."""
    median = np.median(scores, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(scores - median), axis=0), MIN_SPREAD)
    return (scores - median) / spread


def audio_tags(scores: np.ndarray) -> list[dict[str, float]]:
    """Per preset: ``{category: cosine}`` of the categories kept (see the module docstring)."""
    names = list(PROMPTS)
    z = calibrated(scores) if len(scores) else scores
    kept = []
    for row_scores, row_z in zip(scores, z):
        best = np.argsort(-row_z, kind="stable")[:AUDIO_TOP]
        kept.append({names[c]: round(float(row_scores[c]), 4) for c in best
                     if row_z[c] >= AUDIO_MARGIN and row_scores[c] > 0})
    return kept


def library_tags(lib) -> list[dict[str, Any]]:
    """Per row of ``lib``: ``{"tags": [...], "name": [...], "audio": {tag: cosine}}``, cached per
    index state. Audio tags need a text tower; without one (or without its weights) only names count."""
    return _cached_tags(lib)["rows"]


def _cached_tags(lib) -> dict[str, Any]:
    """``{"rows": ..., "audio": whether a text tower scored them}`` from the cache, else computed
    (the embedder is loaded only then, so `timbre info` on a tagged index loads no model)."""
    from timbre.index.store import atomic_write_bytes

    try:
        path = lib.cache_file(f"tags-{_rules_key()}", ".json")
    except OSError:
        path = None
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                cached = json.load(fh)
            if isinstance(cached.get("rows"), list) and isinstance(cached.get("audio"), bool):
                return cached
        except (OSError, ValueError, AttributeError):
            pass
    cached = _compute(lib)
    if path is not None:
        try:
            atomic_write_bytes(path, json.dumps(cached, ensure_ascii=False).encode())
        except OSError:
            pass
    return cached


def _rules_key() -> str:
    """Changes whenever the prompts, margins or name rules do, so cached tags follow them."""
    import hashlib

    rules = json.dumps([VERSION, PROMPTS, AUDIO_MARGIN, AUDIO_TOP, MIN_SPREAD, PREFIXES, WORDS, FOLDER_LEVELS], sort_keys=True)
    return hashlib.sha256(rules.encode()).hexdigest()[:12]


def _compute(lib) -> dict[str, Any]:
    model = lib.load_embedder()
    audio = (audio_tags(audio_scores(lib.vectors, model)) if model.supports_text and len(lib)
             else [{} for _ in lib.records])
    rows = []
    for record, heard in zip(lib.records, audio):
        named = name_tags(record.get("name", ""), record.get("folder", ""))
        rows.append({"tags": sorted(set(named) | set(heard)), "name": named, "audio": heard})
    return {"rows": rows, "audio": bool(model.supports_text)}


def tag_counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many presets carry each tag, most common first."""
    counts = Counter(tag for row in rows for tag in row["tags"])
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def tag_mask(lib, tags: Sequence[str]) -> np.ndarray:
    """Rows carrying any of ``tags``; ``TimbreError`` (listing the tags there are) for a tag no preset has."""
    rows = library_tags(lib)
    wanted = {t.strip().lower() for t in tags}
    counts = tag_counts(rows)
    missing = sorted(wanted - set(counts))
    if missing:
        have = ", ".join(f"{t} ({n})" for t, n in counts.items()) or "none"
        raise TimbreError(f"no preset is tagged '{missing[0]}' — tags in this index: {have}")
    return np.array([bool(wanted & set(row["tags"])) for row in rows], bool)


def describe_tags(lib) -> dict[str, Any]:
    """What ``timbre info`` shows: tag counts and whether audio (zero-shot) tags were possible."""
    cached = _cached_tags(lib)
    source = "names and audio" if cached["audio"] else "names only (the embedder has no text tower)"
    return {"counts": tag_counts(cached["rows"]), "source": source}
