"""Per-file work of an indexing run: hash, read the header, decode, and (for
``parallel_safe`` embedders) embed. Runs in spawned worker processes or in-process.

Each call returns a plain tuple, never raises for a bad file:
``("ok", record, vector_or_None, signal_or_None)``, ``("known", digest)`` (the content is
already indexed: its stored vector is reused, nothing is decoded) or ``("skip", path, reason, detail)``.
"""

from __future__ import annotations

import contextlib
import os
from importlib import import_module
from typing import Any, Callable, Iterable, Iterator

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                "NUMEXPR_NUM_THREADS")

#: The embedder built once per worker process (None: the main process embeds).
_worker_embedder: Any = None
_worker_sample_rate: int = 0
#: Content hashes already in the index: such files are not decoded again.
_known_hashes: frozenset[str] = frozenset()


def init_worker(parent_pid: int, class_path: str | None, options: dict[str, Any], sample_rate: int,
                known_hashes: frozenset[str] = frozenset()) -> None:
    """Pool initializer: watch the parent (``parent_pid``, taken when the pool started), one
    thread per worker, decoder chatter off the terminal, then build the embedder once."""
    _start_orphan_watchdog(parent_pid)
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    _silence_stderr()
    global _worker_embedder, _worker_sample_rate, _known_hashes
    _worker_sample_rate, _known_hashes = sample_rate, known_hashes
    _worker_embedder = build_embedder(class_path, options) if class_path else None


def ordered_pool_map(function: Callable[[Any], Any], items: Iterable[Any], count: int,
                     initargs: tuple) -> Iterator[Any]:
    """``function(item)`` for each of ``items``, in order, in ``count`` spawned processes started by
    ``init_worker(*initargs)``; at most ``count * 4`` items in flight (decoded clips are large)."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from itertools import islice

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context, initializer=init_worker, initargs=initargs) as pool:
        pending = iter(items)
        with single_threaded_children():  # the first submissions start the processes
            inflight = deque(pool.submit(function, item) for item in islice(pending, count * 4))
        while inflight:
            yield inflight.popleft().result()
            following = next(pending, None)
            if following is not None:
                inflight.append(pool.submit(function, following))


@contextlib.contextmanager
def single_threaded_children() -> Iterator[None]:
    """BLAS/OpenMP thread variables at 1 while processes are started here, restored after.

    A spawned worker reads them when it first imports numpy, which happens while it unpickles
    its initializer, before ``init_worker`` runs: set there, they come too late, and each
    worker's BLAS takes a thread per core (2 workers on 2 cores ran 2.5x slower each)."""
    saved = {var: os.environ.get(var) for var in _THREAD_VARS}
    os.environ.update({var: "1" for var in _THREAD_VARS})
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def worker_embedder() -> Any:
    """The embedder this worker process built in ``init_worker``."""
    return _worker_embedder


def _start_orphan_watchdog(parent_pid: int, interval: float = 0.5) -> None:
    """Exit when the parent dies (e.g. kill -9): idle pool workers would otherwise wait forever.

    The parent's pid comes from the parent: read here it may already be init's (the parent
    can die while this worker is still starting)."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(0)

    if os.getppid() != parent_pid:
        os._exit(0)
    threading.Thread(target=watch, name="timbre-orphan-watchdog", daemon=True).start()


def _silence_stderr() -> None:
    """libsndfile's mp3 decoder prints warnings straight to fd 2; each bad file already gets its
    one-line reason in the report."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def init_in_process(embedder: Any, sample_rate: int, known_hashes: frozenset[str] = frozenset()) -> None:
    """Serial mode: ``process_file`` runs in this process with ``embedder`` (or None)."""
    global _worker_embedder, _worker_sample_rate, _known_hashes
    _worker_embedder, _worker_sample_rate, _known_hashes = embedder, sample_rate, known_hashes


def build_embedder(class_path: str, options: dict[str, Any]) -> Any:
    """Instantiate ``module:Class`` with ``options`` (the registry entry resolved by the parent)."""
    module_name, _, attr = class_path.partition(":")
    return getattr(import_module(module_name), attr)(**options)


def process_file(found: Any) -> tuple:
    """Hash, decode and (if this worker holds an embedder) embed one file."""
    from timbre.audio import audio_info, load_audio
    from timbre.audio_checks import check_file, os_error
    from timbre.errors import AudioError
    from timbre.index.scan import content_hash, file_record

    try:
        check_file(found.path)
        try:
            digest = content_hash(found.path)
        except OSError as exc:
            raise os_error(found.path, exc) from exc
        if digest in _known_hashes:
            return ("known", digest)
        info = audio_info(found.path)
        signal = load_audio(found.path, _worker_sample_rate)
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
