"""``Workspace``: one index, its embedder and heads held in memory for a listening session.

Everything ``timbre app`` does is a method here (the web server only translates HTTP), so the
same search, judgment and training code serves the CLI, the app and scripts. The embedder is
loaded once and targets are embedded once (cached by content hash), so a repeated search costs
only the ranking.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

from timbre.errors import TimbreError
from timbre.workspace.judgments import JudgmentLog, pair_record, triplet_record
from timbre.workspace.targets import Target, TargetStore

DEFAULT_TOP = 50
MAX_TOP = 1000
_VECTOR_CACHE = 64


class Workspace:
    """An opened index plus the producer's targets, judgments and heads."""

    def __init__(self, index_path: str, *, models_dir: str | None = None, home: str | None = None,
                 pairs_file: str | None = None, placement=None):
        """``placement`` (``timbre.devices.Placement``, default ``auto``) is where the embedder, the
        heads and retraining run."""
        from timbre.index import open_index
        from timbre.runtime import default_models_dir, timbre_home
        from timbre.workspace.training_job import TrainingJob

        self.lib = open_index(index_path, placement)
        self.model = self.lib.load_embedder()
        self.home = os.path.abspath(home or timbre_home())
        self.models_dir = os.path.abspath(models_dir or default_models_dir())
        self.targets = TargetStore(os.path.join(self.home, "targets"))
        self.judgments = JudgmentLog(pairs_file or os.path.join(self.home, "pairs.jsonl"))
        self.training = TrainingJob(on_done=self._use_new_head)
        self._heads: dict[str, object] = {}
        self._target_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._compute = threading.Lock()  # one ranking/embedding at a time: 2 cores need no more
        self._maps: dict[str, dict] = {}
        fitting = self.fitting_heads()
        self.active_head: str | None = next((h["id"] for h in fitting if h["latest"]),
                                            fitting[-1]["id"] if fitting else None)

    # -- what the page shows first -------------------------------------------------------------
    def status(self) -> dict:
        """Index facts, banks, heads, pair file and recent targets (the page's first request)."""
        banks: dict[str, int] = {}
        for record in self.lib.records:
            banks[record["bank"]] = banks.get(record["bank"], 0) + 1
        return {
            "index": {"path": self.lib.path, "presets": len(self.lib), "state_id": self.lib.state_id,
                      "embedder": {"name": self.model.name, "dim": int(self.model.dim),
                                   "text": bool(self.model.supports_text)}},
            "banks": [{"name": b, "count": n} for b, n in sorted(banks.items())],
            "tags": self.tags(),
            "heads": self.fitting_heads(), "active_head": self.active_head,
            "pairs_file": self.judgments.path, "judgments": self.judgments.count(),
            "targets": [t.to_dict() for t in self.targets.recent()],
            "training": self.training.snapshot(),
        }

    def fitting_heads(self) -> list[dict]:
        """Trained heads that can rank this index (trained on its embedder, or on one part of a combined
        one: ``timbre.heads.part_head``), oldest first."""
        from timbre.heads.part_head import part_fingerprints
        from timbre.heads.registry import list_heads

        fitting = {self.lib.embedder_spec["fingerprint"], *part_fingerprints(self.lib)}
        return [{"id": h.id, "created": h.created, "latest": h.latest} for h in list_heads(self.models_dir)
                if h.embedder.get("fingerprint") in fitting]

    # -- targets ------------------------------------------------------------------------------
    def add_target_bytes(self, data: bytes, name: str) -> Target:
        """Keep an uploaded target (checked as audio) and embed it once."""
        target, signal = self.targets.keep_bytes(data, name, self.model.sample_rate)
        self._target_vector(target, signal)
        return target

    def add_target_path(self, path: str) -> Target:
        """Keep the audio file at ``path`` as a target and embed it once."""
        target, signal = self.targets.keep_path(path, self.model.sample_rate)
        self._target_vector(target, signal)
        return target

    def _target_vector(self, target: Target, signal: np.ndarray | None = None) -> np.ndarray:
        """The target's vector: cached, else embedded from ``signal`` (``load_audio``'s output) or the file."""
        return self._embedded(target.id, target, signal,
                              lambda audio: np.asarray(self.model.embed_audio([audio]), np.float32)[0])

    def _target_notes(self, target: Target) -> np.ndarray:
        """Base-space vectors of a kept target's notes (cached like its whole vector)."""
        from timbre.search.notes import embed_notes

        return self._embedded(f"notes:{target.id}", target, None, lambda audio: embed_notes(self.model, audio))

    def _embedded(self, key: str, target: Target, signal: np.ndarray | None, embed) -> np.ndarray:
        """``embed(audio)`` of a kept target, cached under ``key`` (the most recent _VECTOR_CACHE kept)."""
        from timbre.audio import load_audio

        found = self._target_vectors.get(key)
        if found is None:
            signal = load_audio(target.path, self.model.sample_rate) if signal is None else signal
            with self._compute:  # the cache is only written under the lock (requests run in threads)
                found = embed(signal)
                self._target_vectors[key] = found
                while len(self._target_vectors) > _VECTOR_CACHE:
                    self._target_vectors.popitem(last=False)
        return found

    # -- search -------------------------------------------------------------------------------
    def search(self, *, target: str | None = None, preset: int | None = None, text: str | None = None,
               top: int = DEFAULT_TOP, head: str | None = None, banks: list[str] | None = None,
               tags: list[str] | None = None, thorough: bool = False) -> dict:
        """Rank the library against a kept target, a library preset ("more like this") or text.

        ``head``: ``None`` = the active head, ``"off"`` = the embedder's own space, ``"latest"`` or an id.
        ``banks`` keeps only presets of those banks, ``tags`` only presets with any of those tags
        (both given: presets passing both). ``thorough`` also compares a target's notes with the
        presets (as ``timbre search --thorough``). Returns the page's result dict."""
        import time

        from timbre.search.engine import ranked_hits

        started = time.perf_counter()
        query, vector, hint = self._query(target, preset, text)
        head_obj = self._head(head)
        top = max(1, min(int(top), MAX_TOP))
        keep = self._filter_mask(banks, tags)
        if preset is not None:  # "more like this" leaves the preset itself out
            keep = np.ones(len(self.lib), bool) if keep is None else keep.copy()
            keep[preset] = False
        notes = [self._target_notes(self.targets.get(target))] if thorough and target is not None else None
        with self._compute:
            [hits] = ranked_hits(self.lib, vector[None, :], top, head=head_obj, keep=keep, notes=notes)
        marks = self._marks(target) if target else {}
        return {"query": query, "head": getattr(head_obj, "id", None), "hint": hint, "thorough": notes is not None,
                "hits": [self._hit_dict(h, marks) for h in hits],
                "seconds": round(time.perf_counter() - started, 4)}

    def export_csv(self, **search_args) -> str:
        """The list ``search(**search_args)`` shows, as the CLI's CSV (``--format csv``)."""
        from timbre.search.formats import render_results
        from timbre.search.results import Hit, SearchResult

        result = self.search(**search_args)
        hits = [Hit(h["rank"], h["score"], h["path"], h["name"], h["bank"], h["row"]) for h in result["hits"]]
        return render_results([SearchResult(result["query"]["name"], hits)], "csv")

    def _query(self, target, preset, text) -> tuple[dict, np.ndarray, str | None]:
        given = [q is not None for q in (target, preset, text)]
        if sum(given) != 1:
            raise TimbreError("search needs exactly one of a target, a preset or a text — pick one")
        if target is not None:
            kept = self.targets.get(target)
            return ({"kind": "target", "id": kept.id, "name": kept.name}, self._target_vector(kept), kept.hint)
        if preset is not None:
            record = self.preset(preset)
            return {"kind": "preset", "row": preset, "name": record["name"]}, self.lib.vectors[preset], None
        if not self.model.supports_text:
            raise TimbreError(f"the '{self.model.name}' embedder has no text tower — index with --embedder clap "
                              "for text search")
        from timbre.search.engine import text_result
        from timbre.translation import translate_query

        result = text_result(translate_query(text), [])  # Japanese → English, as `timbre search --text`
        if result.error:
            raise TimbreError(result.error)
        with self._compute:
            vector = np.asarray(self.model.embed_text([result.searched_for or text]), np.float32)[0]
        query = {"kind": "text", "text": text, "name": text}
        if result.searched_for is not None:
            query["searched_for"] = result.searched_for
        if result.not_understood:
            query["not_understood"] = result.not_understood
        return query, vector, None

    def _filter_mask(self, banks: list[str] | None, tags: list[str] | None) -> np.ndarray | None:
        masks = []
        if banks:
            wanted = set(banks)
            masks.append(np.array([r["bank"] in wanted for r in self.lib.records], bool))
        if tags:
            from timbre.tags import tag_mask

            with self._compute:  # the first call may embed the tag prompts
                masks.append(tag_mask(self.lib, tags))
        return np.logical_and.reduce(masks) if masks else None

    def tags(self) -> list[dict]:
        """Every tag of the library with its preset count, most common first (:mod:`timbre.tags`)."""
        from timbre.tags import library_tags, tag_counts

        with self._compute:
            rows = library_tags(self.lib)
        return [{"name": tag, "count": count} for tag, count in tag_counts(rows).items()]

    def _hit_dict(self, hit, marks: dict) -> dict:
        out = hit.to_dict()
        out["row"] = hit.row
        out["judgment"] = marks.get(self.lib.records[hit.row]["content_hash"])
        return out

    def _marks(self, target_id: str) -> dict:
        return {r["b_hash"]: {"id": r["id"], "label": r["label"]}
                for r in self.judgments.for_target(target_id) if r["kind"] == "pair"}

    # -- heads --------------------------------------------------------------------------------
    def _head(self, ref: str | None):
        from timbre.devices import resolve_device
        from timbre.heads.part_head import head_for_index
        from timbre.heads.registry import load_head, resolve_ref

        ref = self.active_head if ref is None else ref
        if ref in (None, "off", ""):
            return None
        head_id = resolve_ref(self.models_dir, ref)
        if head_id not in self._heads:
            self._heads[head_id] = head_for_index(
                load_head(self.models_dir, head_id, device=resolve_device(self.lib.placement.device)), self.lib)
        return self._heads[head_id]

    def set_active_head(self, ref: str | None) -> str | None:
        """Make ``ref`` (``off``/None, ``latest`` or an id) rank searches by default; returns its id."""
        head = self._head(ref or "off")
        self.active_head = getattr(head, "id", None)
        return self.active_head

    def _use_new_head(self, head_id: str) -> None:
        """After a retrain (in its thread): load the head's projected library, then rank with it."""
        from timbre.search.space import library_space

        try:
            library_space(self.lib, self._head(head_id))
        except TimbreError:  # the head is trained and saved; its first search says what is wrong
            pass
        self.active_head = head_id

    # -- files the page may play ----------------------------------------------------------------
    def preset(self, row: int) -> dict:
        """The index record of ``row``; ``TimbreError`` when there is no such row."""
        if not isinstance(row, (int, np.integer)) or not 0 <= int(row) < len(self.lib):
            raise TimbreError(f"no preset {row!r} in this index ({len(self.lib)} presets)")
        return self.lib.records[int(row)]

    def preset_file(self, row: int) -> str:
        """The preview file of ``row``, if it is still a file inside its indexed folder (links out refused)."""
        from timbre.audio import is_audio_file

        path = self.preset(row)["path"]
        real, folder = os.path.realpath(path), os.path.realpath(os.path.dirname(path))
        if os.path.commonpath([real, folder]) != folder or not is_audio_file(real):
            raise TimbreError(f"{path} now points outside its folder — refused; re-run `timbre index`")
        if not os.path.isfile(real):
            raise TimbreError(f"{path} is gone — re-run `timbre index` to update the library")
        return real

    def waveform(self, kind: str, key: str) -> dict:
        """Peaks for a thumbnail of a preset (``kind="preset"``, key = row) or a kept target."""
        from timbre.workspace.waveform import waveform_peaks

        path = self.preset_file(int(key)) if kind == "preset" else self.targets.get(key).path
        return waveform_peaks(path)

    # -- judgments and training -----------------------------------------------------------------
    def judge_pair(self, target_id: str, row: int, label: str) -> dict:
        """Store "``row`` sounds (not) similar to the target"; an earlier label on the same pair is replaced."""
        return self.judgments.add(pair_record(self.targets.get(target_id), self.preset(row), label))

    def judge_triplet(self, target_id: str, closer: int, other: int) -> dict:
        """Store "``closer`` sounds more like the target than ``other``"."""
        return self.judgments.add(triplet_record(self.targets.get(target_id), self.preset(closer),
                                                 self.preset(other)))

    def start_training(self, max_epochs: int | None = None) -> dict:
        """Train a head on the pair file plus self-supervised pairs, in the background."""
        from timbre.workspace.retrain import retrain_work

        return self.training.start(retrain_work(self, max_epochs))

    def library_map(self, head: str | None = None) -> dict:
        """2-D positions of every preset (cached per index state and head), with banks and names."""
        from timbre.library_map import library_map

        head_obj = self._head(head)
        key = getattr(head_obj, "id", None) or "base"
        if key not in self._maps:
            xy = library_map(self.lib, head_obj)
            bank_names = sorted({r["bank"] for r in self.lib.records})
            bank_of = {b: i for i, b in enumerate(bank_names)}
            self._maps[key] = {"head": getattr(head_obj, "id", None),
                               "x": [round(float(v), 4) for v in xy[:, 0]],
                               "y": [round(float(v), 4) for v in xy[:, 1]],
                               "bank": [bank_of[r["bank"]] for r in self.lib.records],
                               "banks": bank_names, "names": [r["name"] for r in self.lib.records]}
        return self._maps[key]

