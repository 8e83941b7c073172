"""The library index: audio files -> vectors in Parquet shards, updated incrementally.

    report = build_index(["~/presets"], "~/.timbre/index")
    lib = open_index("~/.timbre/index")
"""

from timbre.index.builder import build_index
from timbre.index.library import LibraryIndex, describe_index, open_index
from timbre.index.report import IndexReport, SkippedFile

__all__ = ["build_index", "open_index", "describe_index", "LibraryIndex", "IndexReport", "SkippedFile"]
