"""The tests' .ogg writer: the same samples always give the same file, hence the same content hash."""

import filecmp

import numpy as np
import soundfile as sf
from ogg_files import write_ogg

from timbre.index.scan import content_hash


def test_the_same_audio_written_twice_is_the_same_file(tmp_path):
    audio = (0.4 * np.sin(np.arange(8000) * 0.05) * np.exp(-np.arange(8000) / 4000)).astype(np.float32)
    first, second = write_ogg(tmp_path / "a.ogg", audio, 16000), write_ogg(tmp_path / "b.ogg", audio, 16000)
    assert content_hash(first) == content_hash(second)
    assert filecmp.cmp(first, second, shallow=False)
    decoded, sr = sf.read(first, dtype="float32")
    assert sr == 16000 and decoded.shape == audio.shape
