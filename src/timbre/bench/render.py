"""Render a benchmark folder: preset previews, preset JSON, target loops and the manifest."""

from __future__ import annotations

import io
import multiprocessing
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from timbre.bench.effects import apply_fx_chain
from timbre.bench.envelopes import fade_edges
from timbre.bench.filter import dc_block
from timbre.bench.manifest import build_manifest, params_path, preview_path, target_path, write_manifest
from timbre.bench.ogg import encode_ogg_vorbis
from timbre.bench.patch import Preset, save_preset, write_bytes_atomic
from timbre.bench.plan import BenchError, TargetPlan, get_size, get_source, plan_presets, plan_targets, render_rng
from timbre.bench.sequences import PREVIEW_MIDI, phrase_end_s
from timbre.bench.sources import SOURCES
from timbre.bench.synth import Note
from timbre.progress import Progress, ensure_progress

PREVIEW_SR = 44100
PREVIEW_GATE_S = 2.0
PREVIEW_LENGTH_S = 3.0
PREVIEW_PEAK = 0.89
TARGET_MIN_S, TARGET_MAX_S = 4.0, 12.0
_PREVIEW, _TARGET = 0, 1


@dataclass(frozen=True)
class BenchReport:
    """What ``render_benchmark`` wrote."""

    out_dir: str
    manifest: str
    size: str
    seed: int
    source: str
    presets: int
    targets: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def render_benchmark(out_dir: str | Path, size: str = "small", seed: int = 0, progress: Progress | None = None,
                     *, workers: int | None = None, source: str = "synth") -> BenchReport:
    """Render the ``size`` benchmark (tiny, small, bench, 30k) from ``seed`` into ``out_dir``.

    ``source`` is ``"synth"`` (the benchmark synth that timbre is tuned on) or ``"heldout"``
    (physical-model, FM and wavetable voices, for reporting only). The same source, seed and
    size always give the same bytes, whatever ``workers`` is (default: usable cores). Files
    already there are overwritten; ``manifest.json`` is written last.
    """
    started = time.perf_counter()
    spec = get_size(size)
    sound = get_source(source)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BenchError(f"{out}: exists and is not a folder; choose another output folder")
    presets = plan_presets(spec, seed, sound)
    targets = plan_targets(spec, presets, seed, sound)
    jobs = [(_PREVIEW, i, p, str(out), seed) for i, p in enumerate(presets)]
    jobs += [(_TARGET, i, t, str(out), seed) for i, t in enumerate(targets)]
    _run_jobs(jobs, workers, ensure_progress(progress), f"render {size}" + ("" if source == "synth" else f" {source}"))
    manifest = write_manifest(out, build_manifest(size, seed, presets, targets, source))
    return BenchReport(str(out), str(manifest), size, seed, source, len(presets), len(targets),
                       round(time.perf_counter() - started, 2))


def _run_jobs(jobs: list[tuple], workers: int | None, progress: Progress, desc: str) -> None:
    from timbre.runtime import default_threads

    workers = max(1, workers or default_threads())
    progress.start(len(jobs), desc, unit="file")
    try:
        if workers == 1:
            for job in jobs:
                _render_job(job)
                progress.advance()
        else:
            with multiprocessing.get_context().Pool(workers) as pool:
                for _ in pool.imap_unordered(_render_job, jobs, chunksize=4):
                    progress.advance()
    finally:
        progress.close()


def _render_job(job: tuple) -> None:
    kind, index, item, out_dir, seed = job
    out = Path(out_dir)
    offset = SOURCES[item.source if kind == _PREVIEW else item.preset.source].stream_offset
    if kind == _PREVIEW:
        audio = preview_audio(item, render_rng(seed, _PREVIEW + offset, index))
        write_bytes_atomic(out / preview_path(item), encode_ogg_vorbis(audio, PREVIEW_SR), durable=False)
        save_preset(item, out / params_path(item), durable=False)
    else:
        audio = target_audio(item, render_rng(seed, _TARGET + offset, index))
        write_bytes_atomic(out / target_path(item), _wav_bytes(audio, item.sample_rate, item.bit_depth),
                           durable=False)


def preview_audio(preset: Preset, rng: np.random.Generator) -> np.ndarray:
    """The preset's one-shot at C3: held 2 s, 3 s long in all, peak at -1 dBFS."""
    note = Note(0.0, PREVIEW_MIDI, PREVIEW_GATE_S, 1.0)
    audio = SOURCES[preset.source].render_phrase(preset.patch, [note], PREVIEW_SR, PREVIEW_LENGTH_S, rng)
    return _normalized(audio, PREVIEW_PEAK, f"preview of {preset.name}")


def target_audio(plan: TargetPlan, rng: np.random.Generator) -> np.ndarray:
    """The target's phrase played by its preset, through its effects, peak at ``plan.peak``."""
    source = SOURCES[plan.preset.source]
    tail = source.tail_s(plan.preset.patch) + 0.3
    length = float(np.clip(phrase_end_s(list(plan.notes)) + tail, TARGET_MIN_S, TARGET_MAX_S))
    audio = source.render_phrase(plan.preset.patch, list(plan.notes), plan.sample_rate, length, rng)
    if plan.fx:
        audio = _normalized(audio, 0.5, plan.target_id)
        processed = apply_fx_chain(audio, plan.sample_rate, list(plan.fx))
        processed = processed[: int(TARGET_MAX_S * plan.sample_rate)].astype(np.float64)  # fx tails may run on
        audio = fade_edges(dc_block(processed, plan.sample_rate), plan.sample_rate)
    return _normalized(audio, plan.peak, f"target {plan.target_id}")


def _normalized(audio: np.ndarray, peak: float, what: str) -> np.ndarray:
    current = float(np.max(np.abs(audio)))
    if not np.isfinite(current) or current < 1e-6:
        raise BenchError(f"{what}: rendered silent or invalid audio; report this seed and size as a bug")
    return (audio * (peak / current)).astype(np.float32)


def _wav_bytes(audio: np.ndarray, sr: int, bit_depth: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio, sr, format="WAV", subtype=f"PCM_{bit_depth}")
    return buffer.getvalue()
