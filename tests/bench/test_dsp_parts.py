"""Filter and Ogg writer: exact against slow reference implementations."""

import io
import struct

import numpy as np
import pytest
import soundfile as sf

from timbre.bench.filter import MAX_Q, MIN_Q, rbj_coefficients, resonant_filter
from timbre.bench.ogg import encode_ogg_vorbis, ogg_crc


def _reference_biquad(x, b0, b1, b2, a1, a2):
    y, x1, x2, y1, y2 = np.zeros_like(x), 0.0, 0.0, 0.0, 0.0
    for i, v in enumerate(x):
        out = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, out
        y[i] = out
    return y


@pytest.mark.parametrize("kind", ["lp", "hp", "bp"])
@pytest.mark.parametrize("resonance", [0.0, 1.0])
def test_block_filter_matches_a_per_sample_biquad(kind, resonance):
    x = np.random.default_rng(0).standard_normal(1000)
    q = MIN_Q * (MAX_Q / MIN_Q) ** resonance
    coefficients = [float(c[0]) for c in rbj_coefficients(kind, np.array([1200.0]), np.array([q]), 44100)]
    fast = resonant_filter(x, kind, np.full(16, 1200.0), resonance, 44100)
    np.testing.assert_allclose(fast, _reference_biquad(x, *coefficients), atol=1e-5)


def test_ogg_crc_matches_the_bitwise_definition():
    data = bytes(range(256)) * 3
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    assert ogg_crc(data) == crc


def test_ogg_bytes_are_reproducible_and_decode():
    tone = 0.5 * np.sin(np.arange(20000) * 0.03)
    first, second = encode_ogg_vorbis(tone, 44100), encode_ogg_vorbis(tone, 44100)
    assert first == second
    page_crc = struct.unpack_from("<I", first, 22)[0]
    header = bytearray(first[: 27 + first[26] + sum(first[27 : 27 + first[26]])])
    struct.pack_into("<I", header, 22, 0)
    assert ogg_crc(bytes(header)) == page_crc
    decoded, sr = sf.read(io.BytesIO(first))
    assert sr == 44100 and len(decoded) == len(tone)
