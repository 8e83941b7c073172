"""View textures: chords and arpeggios made of each preview, so chord and fast-note loops find it."""

import hashlib
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app"))

from app_demo import SR, tone  # noqa: E402
from ogg_files import write_ogg  # noqa: E402

from timbre.audio import pitch_shift  # noqa: E402
from timbre.index import build_index, open_index  # noqa: E402
from timbre.index.view_textures import (ARP_SECONDS, ARP_STEPS, CHORD_SECONDS, TEXTURES, parse_textures,  # noqa: E402
                                        texture_clips, views_per_preview)
from timbre.index.views import VIEWS_VERSION, view_store, view_vectors  # noqa: E402


@pytest.mark.parametrize("text, expected", [("all", TEXTURES), ("arp, note", ("note", "arp")),
                                            ("CHORD", ("chord",))])
def test_parse_textures(text, expected):
    assert parse_textures(text) == expected


@pytest.mark.parametrize("text", ["pad", "", "note,strum", "default"])
def test_parse_textures_refuses_in_one_line(text):
    with pytest.raises(ValueError, match=" — "):
        parse_textures(text)


def _peaks_hz(clip: np.ndarray, count: int) -> list[float]:
    part = clip[: SR // 2]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part)), SR))  # 1-Hz bins
    freqs = np.fft.rfftfreq(SR, 1 / SR)
    local = [i for i in range(1, len(spectrum) - 1) if spectrum[i - 1] < spectrum[i] >= spectrum[i + 1]]
    return sorted(freqs[i] for i in sorted(local, key=lambda i: -spectrum[i])[:count])


def test_each_texture_plays_the_preview_as_its_docstring_says():
    sine = (0.3 * np.sin(2 * np.pi * 220.0 * np.arange(3 * SR) / SR)).astype(np.float32)
    clips = texture_clips(SR, (0, 12), TEXTURES, lambda s: pitch_shift(sine, SR, s))
    assert len(clips) == views_per_preview((0, 12), TEXTURES) == 8
    note_0, note_12, major_0, minor_0, major_12, minor_12, arp_0, arp_12 = clips
    np.testing.assert_array_equal(note_0, pitch_shift(sine, SR, 0))
    assert _peaks_hz(note_12, 1) == pytest.approx([440.0], abs=3)
    third, fifth = 220 * 2 ** (4 / 12), 220 * 2 ** (7 / 12)
    assert _peaks_hz(major_0, 3) == pytest.approx([220.0, third, fifth], abs=3)
    assert _peaks_hz(minor_0, 3) == pytest.approx([220.0, 220 * 2 ** (3 / 12), fifth], abs=3)
    assert _peaks_hz(major_12, 3) == pytest.approx([440.0, 2 * third, 2 * fifth], abs=4)
    assert len(major_0) == 2 * int(CHORD_SECONDS * SR)  # struck twice
    step = int(ARP_SECONDS * SR)
    assert len(arp_0) == len(arp_12) == (len(ARP_STEPS) + 1) * step  # the notes, then a step of rest
    assert np.abs(arp_0[-step:]).max() == 0 and np.abs(arp_0[:step]).max() > 0
    assert _peaks_hz(arp_0[3 * step:4 * step], 1) == pytest.approx([440.0], abs=6)  # the 4th note: the octave


class _Index:
    """What ``view_store`` reads of an index."""

    def __init__(self, folder, views):
        self.embedder_spec, self.config, self._folder = {"fingerprint": "f00d"}, {"views": views}, str(folder)

    def cache_dir(self):
        return self._folder


def test_views_stored_before_textures_existed_stay_valid(tmp_path):
    before = _Index(tmp_path, {"semitones": [-12, 0, 12]})  # an index.json of an earlier version
    key = hashlib.sha1(json.dumps({"version": VIEWS_VERSION, "semitones": [-12, 0, 12],
                                   "embedder": "f00d"}).encode()).hexdigest()[:16]
    assert os.path.basename(view_store(before).folder) == f"views-{key}" and view_store(before).per_key == 3
    textured = view_store(_Index(tmp_path, {"semitones": [-12, 0, 12], "textures": list(TEXTURES)}))
    assert textured.folder != view_store(before).folder and textured.per_key == 12


def test_changing_how_a_texture_is_made_stores_its_views_anew(tmp_path, monkeypatch):
    from timbre.index import view_textures

    index = _Index(tmp_path, {"semitones": [0, 7], "textures": ["note", "arp"]})
    before = view_store(index).folder
    monkeypatch.setattr(view_textures, "ARP_SECONDS", 0.15)
    assert view_store(index).folder != before


def _chord_loop(family: str, root: int) -> np.ndarray:
    """A triad of independently synthesised notes of ``family``, struck three times."""
    hit = sum(tone(family, root + step, 0.5) for step in (0, 4, 7)) / 3
    return np.concatenate([hit, hit, hit]).astype(np.float32)


@pytest.mark.parametrize("family", ["saw", "organ"])
def test_a_chord_loop_is_nearest_to_its_presets_chord_views(tmp_path, family):
    lib_dir = tmp_path / "lib"
    os.makedirs(lib_dir)
    for name in ("saw", "square", "sine", "organ"):
        write_ogg(str(lib_dir / f"{name}.ogg"), tone(name, 48, 1.5), SR)
    build_index([str(lib_dir)], str(tmp_path / "idx"), "spectral", workers=0, views=(0, 5, 7))
    lib = open_index(str(tmp_path / "idx"))
    target = lib.load_embedder().embed_audio([_chord_loop(family, 53)])[0]
    scores = view_vectors(lib) @ target  # (presets, views)
    row = [os.path.basename(p) for p in lib.paths].index(f"{family}.ogg")
    assert int(np.argmax(scores.max(axis=1))) == row  # its preset ranks first
    assert 3 <= int(np.argmax(scores[row])) < 9  # through one of the chord views (after the 3 note views)
    assert scores[row, 3:9].max() > scores[row, :3].max() + 0.02  # by a margin over its best single note


@pytest.mark.parametrize("embedder, textures", [("spectral", TEXTURES), ("mfcc", TEXTURES),
                                                ("tinynet", ("note",)), ("spectral+tinynet", ("note",))])
def test_a_new_index_plays_chords_and_arpeggios_only_with_a_cheap_embedder(tmp_path, monkeypatch, embedder,
                                                                            textures):
    """Textures cost 4x the views' embedding; with weights (CLAP, PANN...) that is hours at 30,000
    previews for a gain measured only on ``spectral``, so such embedders keep the plain note."""
    from timbre import embedders

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "search"))
    monkeypatch.setitem(embedders.BUILTIN, "tinynet", "tiny_net:TinyNetEmbedder")
    os.makedirs(tmp_path / "lib")
    write_ogg(str(tmp_path / "lib" / "saw.ogg"), tone("saw", 48, 0.5), SR)
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), embedder, workers=0, views=(0, 7))
    lib = open_index(str(tmp_path / "idx"))
    assert tuple(lib.config["views"]["textures"]) == textures
    assert view_vectors(lib).shape[1] == views_per_preview((0, 7), textures)


def test_an_empty_texture_list_is_refused_before_anything_is_indexed(tmp_path):
    with pytest.raises(ValueError, match="cannot be empty"):
        build_index([str(tmp_path)], str(tmp_path / "idx"), "spectral", workers=0, textures=())
    assert not (tmp_path / "idx").exists()
