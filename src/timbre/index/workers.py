"""Per-file work of an indexing run: hash, read the header, decode, and (for
``parallel_safe`` embedders) embed. Runs in spawned worker processes or in-process.

Each call returns a plain tuple, never raises for a bad file:
``("ok", record, vector_or_None, signal_or_None)`` or ``("skip", path, reason, detail)``.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")

#: The embedder built once per worker process (None: the main process embeds).
_worker_embedder: Any = None
_worker_sample_rate: int = 0


def init_worker(class_path: str | None, options: dict[str, Any], sample_rate: int) -> None:
    """Pool initializer: one thread per worker, then build the embedder once."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    global _worker_embedder, _worker_sample_rate
    _start_orphan_watchdog()
    _worker_sample_rate = sample_rate
    _worker_embedder = build_embedder(class_path, options) if class_path else None


def _start_orphan_watchdog(interval: float = 1.0) -> None:
    """Exit when the parent dies (e.g. kill -9): idle pool workers would otherwise wait forever."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="timbre-orphan-watchdog", daemon=True).start()


def init_in_process(embedder: Any, sample_rate: int) -> None:
    """Serial mode: ``process_file`` runs in this process with ``embedder`` (or None)."""
    global _worker_embedder, _worker_sample_rate
    _worker_embedder, _worker_sample_rate = embedder, sample_rate


def build_embedder(class_path: str, options: dict[str, Any]) -> Any:
    """Instantiate ``module:Class`` with ``options`` (the registry entry resolved by the parent)."""
    module_name, _, attr = class_path.partition(":")
    return getattr(import_module(module_name), attr)(**options)


def process_file(found: Any) -> tuple:
    """Hash, decode and (if this worker holds an embedder) embed one file."""
    from timbre.audio import audio_info, load_audio
    from timbre.errors import AudioError
    from timbre.index.scan import content_hash, file_record

    try:
        info = audio_info(found.path)
        signal = load_audio(found.path, _worker_sample_rate)
        digest = content_hash(found.path)
    except AudioError as err:
        return ("skip", found.path, err.reason, err.detail)
    except Exception as exc:  # a decoder bug must not stop the run
        return ("skip", found.path, "unreadable", f"{exc.__class__.__name__}: {exc}")
    record = file_record(found, digest, info.duration, info.sample_rate, info.channels)
    if _worker_embedder is None:
        return ("ok", record, None, signal)
    try:
        vector = _worker_embedder.embed_audio([signal])[0]
    except Exception as exc:
        return ("skip", found.path, "embed_failed", f"{exc.__class__.__name__}: {exc}")
    return ("ok", record, vector, None)
