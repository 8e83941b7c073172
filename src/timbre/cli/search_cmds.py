"""`timbre search`: presets that sound like audio files (or text, with a text-capable embedder)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from timbre.cli.common import device_option, half_option, index_option, models_option, resolve_index, resolve_placement


def search_command(
    targets: Optional[list[str]] = typer.Argument(None, help="Audio files to find presets for"),
    index: Optional[str] = index_option(),
    top: int = typer.Option(10, "--top", "-n", min=1, help="Hits per target"),
    fmt: str = typer.Option("table", "--format", "-f", help="table | json | jsonl | csv"),
    texts: Optional[list[str]] = typer.Option(None, "--text", "-t", help="Text query (repeatable; clap)"),
    hnsw: bool = typer.Option(False, "--hnsw", help="Approximate HNSW search (fast on big libraries)"),
    head: Optional[str] = typer.Option(None, "--head", help="Trained head: 'latest' or an id"),
    rerank: Optional[int] = typer.Option(None, "--rerank", min=1, help="Rescore the top K with --head"),
    thorough: bool = typer.Option(False, "--thorough", help="Also compare each note of the target with the "
                                                             "presets: about 2.5x slower; on the benchmark "
                                                             "+0.01 to +0.025 MRR"),
    models: Optional[str] = models_option(),
    device: Optional[str] = device_option(),
    half: Optional[bool] = half_option(),
    tags: Optional[list[str]] = typer.Option(None, "--tag", help="Only presets with this tag (repeatable: any of "
                                                                 "them); `timbre info` lists the tags"),
) -> None:
    """Rank the indexed presets by similarity to each TARGET; exits 2 if any target failed.

    A score is the cosine similarity of the target and the preset in the embedder's space (or the
    head's, with --head): 1 is identical, around 0 unrelated; compare scores within one list only.
    """
    from timbre.search import search_library
    from timbre.search.formats import FORMATS, render_results

    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    results = search_library(resolve_index(index), targets or [], texts or [], top=top,
                             method="hnsw" if hnsw else "flat", head_ref=head, models_dir=models,
                             rerank=rerank, placement=resolve_placement(device, half), tags=tags or [],
                             thorough=thorough)
    sys.stdout.write(render_results(results, fmt))
    if fmt == "csv":
        for result in results:
            if result.hint:
                typer.echo(f"hint: {result.target}: {result.hint}", err=True)
            if result.searched_for is not None:
                typer.echo(f"searched for: {result.target}: {result.searched_for}", err=True)
    failed = [r for r in results if r.error is not None]
    for result in failed:
        typer.echo(f"error: {result.error}", err=True)
    if failed:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add `search` to ``app``."""
    app.command("search")(search_command)
