"""A failed `timbre index` leaves nothing behind; a read-only folder or a full disk is one line, data intact."""

import errno
import json
import os
import subprocess

import pytest
from cli_process import timbre_args
from toy_embedders import make_library

from timbre.errors import IndexStoreError, IndexWriteError, TimbreError
from timbre.index import build_index, open_index, store


def _tmp_files(folder):
    return [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.endswith(".tmp")]


def test_a_missing_folder_creates_no_index_and_the_index_stays_free_for_any_embedder(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=2)
    index = str(tmp_path / "idx")
    with pytest.raises(IndexStoreError, match=r"typo-dir does not exist — pass folders"):
        build_index([str(tmp_path / "typo-dir")], index)
    assert not os.path.exists(index)
    assert build_index([str(tmp_path / "lib")], index, "slowtoy", workers=0).added == 2


def test_a_run_that_fails_before_its_first_commit_leaves_no_folder(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    index = tmp_path / "new" / "idx"
    with pytest.raises(TimbreError, match="unknown embedder"):
        build_index([str(tmp_path / "lib")], str(index), "nosuchembedder", workers=0)
    assert not (tmp_path / "new").exists()


def test_an_index_killed_before_its_first_commit_accepts_another_embedder(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    index = str(tmp_path / "idx")
    os.makedirs(index)
    store.write_config(index, {"name": "toy", "options": {}, "fingerprint": "x", "dim": 64, "sample_rate": 16000})
    assert build_index([str(tmp_path / "lib")], index, "slowtoy", workers=0).added == 1
    assert open_index(index).embedder_spec["name"] == "slowtoy"


@pytest.mark.parametrize("where", ["shard", "manifest"])
def test_a_full_disk_is_one_line_keeps_committed_rows_and_leaves_no_temp_files(tmp_path, monkeypatch, where):
    import pyarrow.parquet as pq

    from timbre.index import builder

    paths = make_library(tmp_path / "lib", banks=2, per_bank=3)
    index = str(tmp_path / "idx")
    monkeypatch.setattr(builder, "COMMIT_ROWS", 2)
    writes = []

    def disk_full():
        writes.append(1)
        return len(writes) > 2

    real_write_table, real_replace = pq.write_table, os.replace

    def write_table(table, target, **kwargs):
        real_write_table(table, target, **kwargs)
        if where == "shard" and disk_full():
            raise OSError(errno.ENOSPC, "No space left on device", target)

    def replace(src, dst):
        if where == "manifest" and str(dst).endswith("manifest.json") and disk_full():
            raise OSError(errno.ENOSPC, "No space left on device", src)
        return real_replace(src, dst)

    monkeypatch.setattr(pq, "write_table", write_table)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(IndexWriteError) as err:
        build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    message = str(err.value)
    assert "\n" not in message and "No space left on device" in message and "— free disk space" in message
    assert _tmp_files(index) == []
    committed = open_index(index)
    assert 0 < len(committed) < len(paths) and set(committed.paths) <= set(paths)

    monkeypatch.undo()
    from timbre import embedders
    import toy_embedders

    monkeypatch.setitem(embedders.BUILTIN, "toy", toy_embedders.REGISTRY["toy"])
    report = build_index([str(tmp_path / "lib")], index, workers=0)
    assert report.unchanged == len(committed) and sorted(open_index(index).paths) == sorted(paths)


def test_a_read_only_index_folder_is_one_line_and_creates_nothing(tmp_path, monkeypatch):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    parent = tmp_path / "ro"
    parent.mkdir()
    index = parent / "idx"
    if os.geteuid() == 0:  # root writes through chmod: simulate the kernel's answer
        real = os.mkdir

        def refuse(path, *args, **kwargs):
            if str(path).startswith(str(parent) + os.sep):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", refuse)
    else:
        parent.chmod(0o555)
    with pytest.raises(IndexWriteError, match=r"^cannot write the index .*idx: .* — pass --index a folder you can"):
        build_index([str(tmp_path / "lib")], str(index), "toy", workers=0)
    assert os.listdir(parent) == []


@pytest.mark.slow
def test_the_cli_prints_one_error_line_and_exits_2(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    (tmp_path / "a-file").write_text("not a folder")
    for args, words in [
        (["typo-dir", "--index", tmp_path / "idx"], "typo-dir does not exist — "),
        ([tmp_path / "lib", "--index", tmp_path / "a-file" / "idx"], "cannot write the index"),
    ]:
        run = subprocess.run(timbre_args("index", *args, "--embedder", "toy"), capture_output=True, text=True,
                             cwd=tmp_path, timeout=60)
        assert run.returncode == 2 and run.stderr.startswith("error: ") and words in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not (tmp_path / "idx").exists()
    ok = subprocess.run(timbre_args("index", tmp_path / "lib", "--index", tmp_path / "idx", "--json"),
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["added"] == 1
