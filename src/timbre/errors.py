"""Typed errors. Every message is one line a user can act on: what, where, what to do."""

from __future__ import annotations

import os


def display_path(path: object) -> str:
    """``path`` as printable text: bytes of a name that is not UTF-8 become ``\\xNN`` escapes."""
    text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("ascii")


class TimbreError(Exception):
    """Base class: ``str(err)`` is a complete one-line message for the user."""


class AudioError(TimbreError):
    """A file could not be turned into usable audio."""

    reason = "unreadable"

    def __init__(self, path: object, detail: str, reason: str | None = None):
        self.path = display_path(path)
        self.detail = detail
        if reason is not None:
            self.reason = reason
        super().__init__(f"{self.path}: {detail}")


class UnreadableAudioError(AudioError):
    """Not decodable: corrupt, truncated, not audio, or a format the decoder lacks."""

    reason = "unreadable"


class EmptyAudioError(AudioError):
    """Zero bytes or zero frames."""

    reason = "empty"


class DamagedAudioError(UnreadableAudioError):
    """Corrupt data, not audio at all, or a format the decoder lacks."""

    reason = "damaged"


class TruncatedAudioError(UnreadableAudioError):
    """The file was cut short (the container or the decoder says frames are missing)."""

    reason = "truncated"


class PermissionDeniedError(UnreadableAudioError):
    """The file exists but this user may not read it."""

    reason = "permission_denied"


class NotAFileError(UnreadableAudioError):
    """A folder, a pipe or a device where an audio file was expected."""

    reason = "not_a_file"


class MissingAudioError(UnreadableAudioError):
    """The path does not exist (or is a dangling or looping link)."""

    reason = "missing"


class SilentAudioError(AudioError):
    """Decodes, but holds no signal above the silence threshold."""

    reason = "silent"


class TooShortAudioError(AudioError):
    """Shorter than the minimum a timbre can be measured on."""

    reason = "too_short"


class ModelLoadError(TimbreError):
    """Weights or a tokenizer could not be loaded (missing, offline, wrong layout)."""


class IndexStoreError(TimbreError):
    """The index folder is missing, damaged, or of another format version."""


class IndexWriteError(IndexStoreError):
    """The index folder cannot be written (read-only, full disk); committed data is intact."""


class IndexLockedError(IndexStoreError):
    """Another process is writing to the index."""


class EmbedderMismatchError(TimbreError):
    """Vectors from two different embedders or checkpoints would be mixed."""


class HeadError(TimbreError):
    """A projection head is missing, damaged, or does not fit the index."""


class LabelingError(TimbreError):
    """Label Studio is unreachable, refuses the key, or lost a project."""


class DeviceError(TimbreError):
    """The requested compute device is unknown, absent, or cannot run an operation of the model."""
