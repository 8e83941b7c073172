"""build_index: bad files skipped and reported, incremental add/modify/delete, embedder mismatch, lock."""

import os
import time

import numpy as np
import pytest
from toy_embedders import make_library, write_tone

from timbre.errors import EmbedderMismatchError, IndexLockedError, IndexStoreError
from timbre.index import build_index, open_index
from timbre.index import store


def _indexed_paths(index_path):
    return sorted(open_index(index_path).paths)


def test_bad_files_are_skipped_with_reasons_while_good_files_are_indexed(tmp_path):
    good = make_library(tmp_path / "lib")
    bad = {
        "notaudio.wav": b"this is text, not audio",
        "empty.ogg": b"",
    }
    for name, data in bad.items():
        (tmp_path / "lib" / "bank0" / name).write_bytes(data)
    write_tone(tmp_path / "lib" / "bank0" / "blip.wav", 440.0, seconds=0.01)
    silent = tmp_path / "lib" / "bank1" / "silence.wav"
    import soundfile as sf
    sf.write(str(silent), np.zeros(8000, np.float32), 16000)

    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)

    assert report.added == len(good) and report.total == len(good)
    reasons = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert reasons == {"notaudio.wav": "damaged", "empty.ogg": "empty", "blip.wav": "too_short",
                       "silence.wav": "silent"}
    lib = open_index(str(tmp_path / "idx"))
    assert sorted(lib.paths) == sorted(good)
    assert {os.path.basename(s["path"]) for s in lib.skipped} == set(reasons)
    assert all(s["detail"] for s in lib.skipped)


def test_skipped_files_are_retried_only_after_they_change(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=2)
    broken = tmp_path / "lib" / "bank0" / "broken.wav"
    broken.write_bytes(b"junk")
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)

    again = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), workers=0)
    assert again.unchanged == 2 and again.added == 0 and [s.reason for s in again.skipped] == ["damaged"]

    write_tone(broken, 300.0)
    fixed = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), workers=0)
    assert fixed.added == 1 and fixed.skipped == []
    assert open_index(str(tmp_path / "idx")).skipped == []


def test_added_modified_and_deleted_files_are_reindexed(tmp_path):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=2)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    before = open_index(index)
    old_vector = before.vectors[before.paths.index(paths[0])].copy()

    os.remove(paths[1])
    time.sleep(0.01)
    write_tone(paths[0], 2000.0, seconds=0.7)  # same path, new content
    new = write_tone(tmp_path / "lib" / "bank2" / "fresh.wav", 700.0)
    report = build_index([str(tmp_path / "lib")], index, workers=0)

    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 2)
    after = open_index(index)
    assert sorted(after.paths) == sorted([paths[0], paths[2], paths[3], new])
    assert len(set(after.paths)) == len(after.paths)
    assert not np.allclose(after.vectors[after.paths.index(paths[0])], old_vector)
    assert after.state_id != before.state_id
    assert build_index([str(tmp_path / "lib")], index, workers=0).unchanged == 4


def test_records_hold_file_facts_and_unit_vectors(tmp_path):
    paths = make_library(tmp_path / "lib", banks=1, per_bank=2)
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    lib = open_index(str(tmp_path / "idx"))
    record = lib.records[lib.paths.index(paths[0])]
    assert record["name"] == "preset 0-0" and record["bank"] == "bank0"
    assert record["folder"] == os.path.dirname(paths[0]) and record["size"] == os.path.getsize(paths[0])
    assert record["sample_rate"] == 16000 and record["channels"] == 1 and record["duration"] == pytest.approx(0.5)
    assert len(record["content_hash"]) == 32 and lib.hashes[0] == lib.records[0]["content_hash"]
    assert lib.vectors.dtype == np.float32 and lib.vectors.shape == (2, 64)
    assert np.allclose(np.linalg.norm(lib.vectors, axis=1), 1.0, atol=1e-5)
    assert lib.embedder_spec["name"] == "toy" and lib.embedder_spec["dim"] == 64


def test_worker_processes_give_the_same_vectors_as_in_process(tmp_path):
    make_library(tmp_path / "lib", banks=2, per_bank=3)
    build_index([str(tmp_path / "lib")], str(tmp_path / "serial"), "toy", workers=0)
    build_index([str(tmp_path / "lib")], str(tmp_path / "pool"), "toy", workers=2)
    serial, pool = open_index(str(tmp_path / "serial")), open_index(str(tmp_path / "pool"))
    order = [pool.paths.index(p) for p in serial.paths]
    assert np.allclose(serial.vectors, pool.vectors[order], atol=1e-6)


def test_non_parallel_embedder_embeds_in_main_process_batches(tmp_path):
    import toy_embedders

    make_library(tmp_path / "lib", banks=2, per_bank=4)
    toy_embedders.MainProcessToyEmbedder.calls = 0
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "maintoy", workers=2, views=())
    assert report.added == 8
    assert toy_embedders.MainProcessToyEmbedder.calls == 3  # batches of 3: 3 + 3 + 2


def test_a_different_embedder_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    make_library(tmp_path / "lib", banks=1, per_bank=2)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)

    with pytest.raises(EmbedderMismatchError, match=r"built with embedder toy.*--index NEW"):
        build_index([str(tmp_path / "lib")], index, "slowtoy", workers=0)
    with pytest.raises(EmbedderMismatchError, match="fingerprint"):
        build_index([str(tmp_path / "lib")], index, "toy", {"bands": 32}, workers=0)
    monkeypatch.setenv("TOY_EMBEDDER_VERSION", "2")  # same name + options, other weights
    with pytest.raises(EmbedderMismatchError) as err:
        build_index([str(tmp_path / "lib")], index, workers=0)
    assert "\n" not in str(err.value)
    monkeypatch.setenv("TOY_EMBEDDER_VERSION", "1")
    assert build_index([str(tmp_path / "lib")], index, "toy", workers=0).unchanged == 2


def test_a_second_writer_is_refused_while_the_lock_is_held(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    index = str(tmp_path / "idx")
    os.makedirs(index)
    with store.WriterLock(index):
        with pytest.raises(IndexLockedError, match=rf"another timbre process \(pid {os.getpid()}\) is writing"):
            build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    assert build_index([str(tmp_path / "lib")], index, "toy", workers=0).added == 1


def test_crash_leftovers_are_cleaned_and_indexing_resumes(tmp_path, monkeypatch):
    from timbre.index import builder

    paths = make_library(tmp_path / "lib", banks=2, per_bank=3)
    index = str(tmp_path / "idx")
    monkeypatch.setattr(builder, "COMMIT_ROWS", 2)
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    shards = os.path.join(index, store.SHARDS_DIR)
    orphan = os.path.join(shards, "20200101T000000-deadbeef00.parquet")
    with open(orphan, "wb") as fh:
        fh.write(b"half a shard")
    temp = os.path.join(index, "manifest.json.1234abcd.tmp")
    with open(temp, "w") as fh:
        fh.write("{")

    assert sorted(open_index(index).paths) == sorted(paths)  # readers ignore leftovers
    report = build_index([str(tmp_path / "lib")], index, workers=0)
    assert report.unchanged == len(paths)
    assert not os.path.exists(orphan) and not os.path.exists(temp)


def test_many_small_shards_are_compacted(tmp_path, monkeypatch):
    from timbre.index import builder

    paths = make_library(tmp_path / "lib", banks=2, per_bank=5)
    monkeypatch.setattr(builder, "COMMIT_ROWS", 1)
    monkeypatch.setattr(builder, "COMPACT_SHARDS", 3)
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert len(store.read_manifest(str(tmp_path / "idx"))["shards"]) == 1
    assert len(os.listdir(tmp_path / "idx" / store.SHARDS_DIR)) == 1
    assert sorted(open_index(str(tmp_path / "idx")).paths) == sorted(paths)


def test_opening_a_folder_without_an_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexStoreError, match="timbre index DIR --index"):
        open_index(str(tmp_path))


def test_symlink_loops_are_followed_once(tmp_path):
    paths = make_library(tmp_path / "lib", banks=1, per_bank=2)
    os.symlink(tmp_path / "lib", tmp_path / "lib" / "bank0" / "loop")
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert report.added == len(paths)
