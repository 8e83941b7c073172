"""Byte-reproducible Ogg Vorbis files.

libvorbis output is deterministic, but libsndfile gives every Ogg stream a random serial
number, which also changes every page checksum. We rewrite the serial to a fixed value and
recompute the page CRCs, so the same samples always give the same bytes.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import soundfile as sf

FIXED_SERIAL = 0x7431B2E5
_BIT_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def encode_ogg_vorbis(signal: np.ndarray, sr: int, serial: int = FIXED_SERIAL) -> bytes:
    """Mono float ``signal`` as Ogg Vorbis bytes with a fixed stream serial number."""
    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(signal, dtype=np.float32), sr, format="OGG", subtype="VORBIS")
    return set_stream_serial(buffer.getvalue(), serial)


def set_stream_serial(data: bytes, serial: int) -> bytes:
    """Copy of single-stream Ogg ``data`` with every page's serial set and its CRC recomputed."""
    out = bytearray(data)
    pos = 0
    while pos + 27 <= len(out):
        if out[pos : pos + 4] != b"OggS":
            raise ValueError(f"not an Ogg page at byte {pos}")
        n_segments = out[pos + 26]
        body = sum(out[pos + 27 : pos + 27 + n_segments])
        end = pos + 27 + n_segments + body
        struct.pack_into("<I", out, pos + 14, serial)
        struct.pack_into("<I", out, pos + 22, 0)
        struct.pack_into("<I", out, pos + 22, ogg_crc(bytes(out[pos:end])))
        pos = end
    return bytes(out)


def ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 (poly 0x04C11DB7, not reflected, init 0, no final xor) via zlib's C code.

    zlib computes the reflected variant with init and final xor 0xFFFFFFFF; over bit-reversed
    bytes and bit-reversed back that is CRC-32/BZIP2, and since CRCs are affine in the initial
    register, XOR-ing the BZIP2 CRC of as many zero bytes removes the init/xor difference.
    """
    return _bzip2_crc(data) ^ _bzip2_crc(bytes(len(data)))


def _bzip2_crc(data: bytes) -> int:
    reflected = zlib.crc32(data.translate(_BIT_REVERSED))
    return int(f"{reflected:032b}"[::-1], 2)
