"""Checks ``timbre.audio`` runs around the decoder, so every bad file gets the right reason.

Before decoding: is it a readable regular file (not a folder, a pipe, a missing or
permission-less path)? Is its container complete (an Ogg stream that ends with its
end-of-stream page, a WAV/AIFF whose audio chunk is as long as its header says)? libsndfile
silently decodes the first part of a cut file, so truncation is found here. After a decoder
error: which words to show (``decoder_error``).
"""

from __future__ import annotations

import errno
import os
import stat
import struct

from timbre.errors import (
    AudioError,
    DamagedAudioError,
    EmptyAudioError,
    MissingAudioError,
    NotAFileError,
    PermissionDeniedError,
    TruncatedAudioError,
    UnreadableAudioError,
)

#: Largest Ogg page: 27-byte header + 255 lacing values + 255 * 255 body bytes.
OGG_MAX_PAGE = 27 + 255 + 255 * 255
#: Sample rates a real audio file can have; others mean a damaged header.
MIN_RATE, MAX_RATE = 1000, 768_000

RE_EXPORT = "re-export or re-download it"


def check_file(path: str | os.PathLike) -> int:
    """Raise the matching ``AudioError`` unless ``path`` is a readable, non-empty regular file;
    returns its size in bytes."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise os_error(path, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise NotAFileError(path, "is a folder, not an audio file — pass the audio files inside it", "folder")
    if not stat.S_ISREG(st.st_mode):
        raise NotAFileError(path, f"is a {_kind(st.st_mode)}, not a regular file — copy the audio into a file")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise os_error(path, exc) from exc
    os.close(fd)
    if st.st_size == 0:
        raise EmptyAudioError(path, "file is empty (0 bytes) — re-export or delete it")
    return st.st_size


def os_error(path: str | os.PathLike, exc: OSError) -> AudioError:
    """The ``AudioError`` for an ``OSError`` met while opening or reading ``path``."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDeniedError(path, "cannot read (permission denied) — check its permissions")
    if exc.errno == errno.ELOOP:
        return MissingAudioError(path, "symbolic link loop — fix or delete the link", "link_loop")
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return MissingAudioError(path, f"link to a missing file ({os.readlink(path)}) — fix or delete the link",
                                     "dangling_link")
        return MissingAudioError(path, "does not exist — check the path")
    return UnreadableAudioError(path, f"cannot read ({exc.strerror or exc}) — check the disk and the path")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def decoder_error(path: str | os.PathLike, exc: Exception, header_ok: bool = False) -> AudioError:
    """The ``AudioError`` for a libsndfile failure on a file that ``check_file`` accepted
    (``header_ok``: the header was read, the first audio data was not)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_error(path, exc)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = text.split(": ", 1)[1] if text.startswith("Error opening") and ": " in text else text
    text = text.strip().rstrip(".")
    if "possibly a pipe" in text or "System error" in text:  # libsndfile's words for "no decoder took it"
        text = "format not recognised"
    if header_ok:
        return DamagedAudioError(path, f"audio data damaged or cut short ({text}) — {RE_EXPORT}")
    return DamagedAudioError(path, f"damaged or not audio ({text}) — re-export it as WAV, FLAC or OGG")


def check_complete(path: str | os.PathLike, size: int) -> None:
    """Raise ``TruncatedAudioError`` if the container says the file was cut short."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head.startswith(b"OggS"):
            fh.seek(max(0, size - OGG_MAX_PAGE))
            problem = _ogg_problem(fh.read(), size)
        elif head[:4] in (b"RIFF", b"FORM") and head[8:12] in (b"WAVE", b"AIFF", b"AIFC"):
            fh.seek(0)
            problem = _chunk_problem(fh.read(1 << 16), size, big_endian=head[:4] == b"FORM")
        else:
            problem = None
    if problem:
        raise TruncatedAudioError(path, f"truncated ({problem}) — {RE_EXPORT}")


def _ogg_problem(tail: bytes, size: int) -> str | None:
    """Why the end of an Ogg file shows a cut, or None.

    In a whole file a page ends exactly at the end of the file and carries the end-of-stream
    flag. A file whose pages chain up to a cut one is truncated; one without a single
    complete page is left to the decoder (which calls it damaged). "OggS" inside packet data
    cannot fake a page that ends exactly at the end of the file."""
    chained = False
    offset = len(tail)
    while (offset := tail.rfind(b"OggS", 0, offset)) >= 0:
        end = _ogg_page_end(tail, offset)
        if end == len(tail):
            return None if tail[offset + 5] & 0x04 else "the Ogg stream has no end-of-stream page"
        chained = chained or (end is not None and tail[end: end + 4] == b"OggS")
    return "the last Ogg page is cut off" if chained else None


def _ogg_page_end(data: bytes, offset: int) -> int | None:
    """Where the page starting at ``offset`` ends, or None if its header runs past the data."""
    if offset + 27 > len(data):
        return None
    segments = data[offset + 26]
    lacing = data[offset + 27: offset + 27 + segments]
    return offset + 27 + segments + sum(lacing) if len(lacing) == segments else None


def _chunk_problem(head: bytes, size: int, big_endian: bool) -> str | None:
    """Compare the declared length of the audio chunk (WAV ``data``, AIFF ``SSND``) with the file."""
    fmt = ">I" if big_endian else "<I"
    target = b"SSND" if big_endian else b"data"
    pos = 12
    while pos + 8 <= len(head):
        chunk, length = head[pos: pos + 4], struct.unpack(fmt, head[pos + 4: pos + 8])[0]
        if chunk == target:
            if length in (0, 0xFFFFFFFF):  # streamed files leave the length open
                return None
            have = size - pos - 8
            return None if have >= length else f"{have} of {length} audio bytes present"
        pos += 8 + length + (length & 1)
    return None


def check_rate(path: str | os.PathLike, sample_rate: int) -> None:
    """Raise ``DamagedAudioError`` for a header sample rate no real file has."""
    if not MIN_RATE <= sample_rate <= MAX_RATE:
        raise DamagedAudioError(path, f"damaged header (sample rate {sample_rate} Hz) — re-export it")


def truncated_stream(path: str | os.PathLike, got: int, declared: int, sample_rate: int,
                     error: Exception | None = None) -> TruncatedAudioError:
    """The error for a stream that decoded ``got`` of ``declared`` frames (or failed midway)."""
    why = f"decoder stopped at {got / sample_rate:.2f} s of {declared / sample_rate:.2f} s"
    if error is not None:
        why += f": {str(error).splitlines()[0].strip().rstrip('.')}" if str(error) else ""
    return TruncatedAudioError(path, f"truncated ({why}) — {RE_EXPORT}")
