"""Touched, moved and renamed files reuse their stored vectors; search never sees the index shrink mid-run."""

import os
import shutil

import numpy as np
import pytest
from toy_embedders import make_library, write_tone

from timbre import audio
from timbre.index import build_index, open_index
from timbre.index import workers as work


def _vectors_by_name(index):
    lib = open_index(index)
    return {os.path.basename(p): v for p, v in zip(lib.paths, lib.vectors)}


def test_touched_files_reuse_their_vectors_without_decoding(tmp_path, monkeypatch):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=2)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    before = _vectors_by_name(index)
    for p in paths:
        os.utime(p, (1_000_000_000, 1_000_000_000))
    with monkeypatch.context() as patch:
        patch.setattr(audio, "load_audio", lambda *a, **k: pytest.fail("touched file decoded again"))
        report = build_index([str(tmp_path / "lib")], index, workers=0)
    assert (report.updated, report.reused, report.added, report.removed) == (len(paths), len(paths), 0, 0)
    lib = open_index(index)
    assert len(lib) == len(paths) and {r["mtime"] for r in lib.records} == {1_000_000_000.0}
    after = _vectors_by_name(index)
    assert all(np.array_equal(before[name], after[name]) for name in before)
    assert build_index([str(tmp_path / "lib")], index, workers=0).unchanged == len(paths)


@pytest.mark.parametrize("workers", [0, 2])
def test_moved_and_renamed_files_reuse_their_vectors(tmp_path, workers):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=2)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=workers)
    before = open_index(index)
    renamed = str(tmp_path / "lib" / "bank0" / "renamed.wav")
    moved = str(tmp_path / "lib" / "bank9" / os.path.basename(paths[3]))
    os.rename(paths[0], renamed)
    os.makedirs(os.path.dirname(moved))
    shutil.move(paths[3], moved)
    fresh = write_tone(tmp_path / "lib" / "bank0" / "fresh.wav", 1234.0)

    report = build_index([str(tmp_path / "lib")], index, workers=workers)
    assert (report.added, report.removed, report.reused, report.unchanged) == (3, 2, 2, 2)
    after = open_index(index)
    assert sorted(after.paths) == sorted([renamed, moved, fresh, paths[1], paths[2]])
    for old, new in ((paths[0], renamed), (paths[3], moved)):
        assert np.array_equal(before.vectors[before.paths.index(old)], after.vectors[after.paths.index(new)])
    record = after.records[after.paths.index(moved)]
    assert record["bank"] == "bank9" and record["name"] == os.path.splitext(os.path.basename(moved))[0]


def test_a_changed_files_old_row_stays_visible_until_its_new_row_is_committed(tmp_path, monkeypatch):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=3)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    for i, p in enumerate(paths):
        write_tone(p, 2000.0 + 100 * i, seconds=0.6)  # new content everywhere
    seen = []
    real = work.process_file

    def watched(found):
        seen.append(sorted(open_index(index).paths))  # what a search would see right now
        if len(seen) == 3:
            raise KeyboardInterrupt  # the run is killed here
        return real(found)

    monkeypatch.setattr(work, "process_file", watched)
    with pytest.raises(KeyboardInterrupt):
        build_index([str(tmp_path / "lib")], index, workers=0)
    assert all(view == sorted(paths) for view in seen)
    assert sorted(open_index(index).paths) == sorted(paths)

    monkeypatch.setattr(work, "process_file", real)
    report = build_index([str(tmp_path / "lib")], index, workers=0)
    assert report.updated == len(paths) and report.total == len(paths)
    lib = open_index(index)
    assert sorted(lib.paths) == sorted(paths) and len(os.listdir(os.path.join(index, "shards"))) == 1


def test_a_commit_midway_replaces_only_the_rows_it_holds(tmp_path, monkeypatch):
    from timbre.index import builder

    paths = make_library(tmp_path / "lib", banks=2, per_bank=3)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    old = open_index(index)
    for p in paths:
        write_tone(p, 3000.0, seconds=0.6)
    monkeypatch.setattr(builder, "COMMIT_ROWS", 2)
    calls = []
    real = work.process_file

    def stop_after_first_commit(found):
        calls.append(found.path)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(found)

    monkeypatch.setattr(work, "process_file", stop_after_first_commit)
    with pytest.raises(KeyboardInterrupt):
        build_index([str(tmp_path / "lib")], index, workers=0)
    mid = open_index(index)
    assert sorted(mid.paths) == sorted(paths)  # nothing lost, nothing doubled
    renewed = [p for p in mid.paths if not np.array_equal(mid.vectors[mid.paths.index(p)],
                                                          old.vectors[old.paths.index(p)])]
    assert sorted(renewed) == sorted(calls[:2])
