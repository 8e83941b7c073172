"""Typed errors. Every message is one line a user can act on: what, where, what to do."""

from __future__ import annotations


class TimbreError(Exception):
    """Base class: ``str(err)`` is a complete one-line message for the user."""


class AudioError(TimbreError):
    """A file could not be turned into usable audio."""

    reason = "unreadable"

    def __init__(self, path: object, detail: str):
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{self.path}: {detail}")


class UnreadableAudioError(AudioError):
    """Not decodable: corrupt, truncated, not audio, or a format the decoder lacks."""

    reason = "unreadable"


class EmptyAudioError(AudioError):
    """Zero bytes or zero frames."""

    reason = "empty"


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


class IndexLockedError(IndexStoreError):
    """Another process is writing to the index."""


class EmbedderMismatchError(TimbreError):
    """Vectors from two different embedders or checkpoints would be mixed."""


class HeadError(TimbreError):
    """A projection head is missing, damaged, or does not fit the index."""


class LabelingError(TimbreError):
    """Label Studio is unreachable, refuses the key, or lost a project."""
