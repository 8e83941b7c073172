"""Targets the producer searched with, kept by content hash so a head can be retrained from them later.

``<home>/targets/<hash>.<ext>`` holds the original bytes (never re-encoded, so judgments name exactly
what was heard) and ``<home>/targets/targets.json`` their display names and when they were added.
A file is checked (decoded as ``timbre.audio.load_audio`` will) before it is kept, so the store only
ever holds usable targets; every write is atomic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass

import numpy as np

from timbre.audio import AUDIO_EXTENSIONS, audio_info, decode, is_audio_file, load_audio, to_mono
from timbre.errors import AudioError, TimbreError, UnreadableAudioError
from timbre.index import store
from timbre.index.scan import content_hash

#: Uploads larger than this are refused (a 10-minute 48 kHz 24-bit stereo wav is ~170 MB).
MAX_TARGET_BYTES = 200 * 1024 * 1024
#: Below these a target's scores deserve a warning.
SHORT_SECONDS = 0.5
QUIET_PEAK_DB = -40.0
_ID = re.compile(r"^[0-9a-f]{32}$")
INDEX_FILE = "targets.json"


@dataclass(frozen=True)
class Target:
    """One kept target: ``id`` is its content hash, ``path`` the kept copy."""

    id: str
    name: str
    path: str
    seconds: float
    added: str
    hint: str | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("path")
        return out


class TargetStore:
    """The kept targets under ``root`` (``$TIMBRE_HOME/targets`` by default)."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self._lock = threading.Lock()

    def keep_bytes(self, data: bytes, name: str, sample_rate: int) -> tuple[Target, np.ndarray]:
        """Check ``data`` as audio named ``name`` and keep it; ``TimbreError`` if it is unusable.

        Returns the kept target and its signal as ``timbre.audio.load_audio`` gives it at
        ``sample_rate``, so the caller embeds it without decoding the file again."""
        if len(data) > MAX_TARGET_BYTES:
            raise TimbreError(f"{name}: {len(data) / 2**20:.0f} MB is over the {MAX_TARGET_BYTES // 2**20} MB "
                              "limit for a target — cut the loop shorter")
        ext = _extension(name)
        os.makedirs(self.root, exist_ok=True)
        tmp = os.path.join(self.root, f".upload-{uuid.uuid4().hex[:8]}{ext}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            return self._keep_file(tmp, name, sample_rate)
        except AudioError as err:  # name the file the producer dropped, not our temporary copy
            raise TimbreError(f"{name}: {err.detail.replace(tmp, name)}") from err
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def keep_path(self, path: str, sample_rate: int) -> tuple[Target, np.ndarray]:
        """Copy the audio file at ``path`` into the store (after checking it); see ``keep_bytes``."""
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            raise TimbreError(f"{path}: no such file — give the full path of a .wav, .flac, .aiff, .ogg or .mp3")
        if os.path.getsize(path) > MAX_TARGET_BYTES:
            raise TimbreError(f"{path}: over the {MAX_TARGET_BYTES // 2**20} MB limit for a target — cut it shorter")
        return self._keep_file(path, os.path.basename(path), sample_rate)

    def get(self, target_id: str) -> Target:
        """The kept target ``target_id``; ``TimbreError`` when there is none (ids are checked: no paths)."""
        if not _ID.match(target_id or ""):
            raise TimbreError(f"{target_id!r} is not a target id — drop the file on the page again")
        entry = self._read_index().get(target_id)
        if entry is None or not os.path.isfile(self._path(target_id, entry["ext"])):
            raise TimbreError(f"target {target_id} is not kept any more — drop the file on the page again")
        return self._target(target_id, entry)

    def recent(self, limit: int = 20) -> list[Target]:
        """Kept targets, newest first."""
        entries = sorted(self._read_index().items(), key=lambda kv: kv[1]["added"], reverse=True)
        targets = [self._target(i, e) for i, e in entries if os.path.isfile(self._path(i, e["ext"]))]
        return targets[:limit]

    def _keep_file(self, source: str, name: str, sample_rate: int) -> tuple[Target, np.ndarray]:
        if not is_audio_file(name):
            raise TimbreError(f"{name}: not an audio file name — use one of {', '.join(AUDIO_EXTENSIONS)}")
        signal = load_audio(source, sample_rate)  # raises AudioError with the reason
        digest = content_hash(source)
        seconds = audio_info(source).duration
        entry = {"name": os.path.basename(name), "ext": _extension(name), "seconds": round(seconds, 3),
                 "added": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
                 "hint": level_hint(source, seconds)}
        with self._lock:
            final = self._path(digest, entry["ext"])
            if not os.path.isfile(final):
                tmp = f"{final}.{uuid.uuid4().hex[:8]}{store.TMP_SUFFIX}"
                shutil.copyfile(source, tmp)
                os.replace(tmp, final)
            index = self._read_index()
            index[digest] = entry
            store.atomic_write_json(os.path.join(self.root, INDEX_FILE), index)
        return self._target(digest, entry), signal

    def _read_index(self) -> dict:
        try:
            with open(os.path.join(self.root, INDEX_FILE), encoding="utf-8") as fh:
                index = json.load(fh)
        except (OSError, ValueError):
            return {}
        return index if isinstance(index, dict) else {}

    def _path(self, target_id: str, ext: str) -> str:
        return os.path.join(self.root, f"{target_id}{ext}")

    def _target(self, target_id: str, entry: dict) -> Target:
        return Target(target_id, entry["name"], self._path(target_id, entry["ext"]), float(entry["seconds"]),
                      entry["added"], entry.get("hint"))


def level_hint(path: str, seconds: float) -> str | None:
    """A warning when a target is too short or too quiet for its scores to mean much."""
    if seconds < SHORT_SECONDS:
        return f"very short ({seconds:.2f} s): a timbre is hard to measure, so scores are unreliable"
    try:
        data, _ = decode(path, max_seconds=120.0)
    except UnreadableAudioError:
        return None
    peak = float(np.max(np.abs(to_mono(data))))
    peak_db = 20 * np.log10(max(peak, 1e-9))
    if peak_db < QUIET_PEAK_DB:
        return f"very quiet (peak {peak_db:.0f} dBFS): noise may dominate, so scores are unreliable"
    return None


def _extension(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return ext if ext in AUDIO_EXTENSIONS else ".bin"
