"""Retraining a head in a background thread while the producer keeps listening.

``TrainingJob`` runs one ``timbre.heads.train.train_head`` call at a time and exposes its progress
as a plain dict (stage, fraction, the final sentence) that a page can poll.
"""

from __future__ import annotations

import datetime as dt
import threading
import traceback
from typing import Callable

from timbre.errors import TimbreError


class JobProgress:
    """A ``timbre.progress.Progress`` that records where a job is, for polling from another thread."""

    def __init__(self):
        self.stage, self.total, self.done, self.notes = "starting", 0, 0, []

    def start(self, total: int, desc: str, unit: str = "file") -> None:
        self.stage, self.total, self.done = desc, int(total or 0), 0

    def advance(self, n: int = 1) -> None:
        self.done += n

    def note(self, message: str) -> None:
        self.notes.append(message)

    def close(self) -> None:
        pass

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


class TrainingJob:
    """One background training at a time: ``start(work)`` runs ``work(progress)`` in a thread;
    ``work`` returns ``(head id, message)``; ``on_done(head_id)`` runs after success."""

    def __init__(self, on_done: Callable[[str], None]):
        self._on_done = on_done
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._progress = JobProgress()
        self._state = {"state": "idle", "head": None, "message": "", "error": None, "started": None,
                       "finished": None}

    def start(self, work: Callable[[JobProgress], tuple[str, str]]) -> dict:
        """Begin ``work``; ``TimbreError`` if a training is already running."""
        with self._lock:
            if self._state["state"] == "running":
                raise TimbreError("a training is already running — wait for it to finish")
            self._progress = JobProgress()
            self._state = {"state": "running", "head": None, "message": "", "error": None,
                           "started": _now(), "finished": None}
            self._thread = threading.Thread(target=self._run, args=(work,), name="timbre-train", daemon=True)
            self._thread.start()
        return self.snapshot()

    def snapshot(self) -> dict:
        """The job's state for a page: state, stage, fraction, message, head, error, times."""
        with self._lock:
            out = dict(self._state)
        out["stage"] = self._progress.stage if out["state"] == "running" else out["state"]
        out["fraction"] = self._progress.fraction if out["state"] == "running" else None
        out["notes"] = list(self._progress.notes)
        return out

    def wait(self, timeout: float | None = None) -> dict:
        """Block until the running job ends (for scripts and tests); returns the snapshot."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.snapshot()

    def _run(self, work) -> None:
        try:
            head_id, message = work(self._progress)
            self._on_done(head_id)
            update = {"state": "done", "head": head_id, "message": message}
        except TimbreError as err:
            update = {"state": "failed", "error": str(err), "message": str(err)}
        except Exception as exc:  # a bug must not kill the server; it is shown and logged
            traceback.print_exc()
            update = {"state": "failed", "error": f"training failed: {type(exc).__name__}: {exc}",
                      "message": "training failed — see the terminal running `timbre app`"}
        with self._lock:
            self._state.update(update, finished=_now())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
