"""`timbre eval`: score embedders and heads on a rendered benchmark, or on the producer's own index."""

from __future__ import annotations

from typing import Optional

import typer

from timbre.cli.common import (models_option, parse_view_textures, parse_views, print_json, progress_bar, resolve_index,
                               resolve_models, textures_option)
from timbre.errors import TimbreError

DEFAULT_OUT = "eval"


def register(app: typer.Typer) -> None:
    """Add ``timbre eval`` and ``timbre compare`` to ``app``."""
    app.command("eval")(eval_command)
    app.command("compare")(compare_command)


def eval_command(
    bench: Optional[str] = typer.Option(
        None, "--bench", help="Benchmark folder from `timbre bench render` (without it: your own --index)"),
    index: Optional[str] = typer.Option(
        None, "--index", "-i", help="Evaluate your own index instead of a benchmark "
                                    "[default: $TIMBRE_INDEX or ~/.timbre/index]"),
    embedders: list[str] = typer.Option(
        [], "--embedder", "-e", help="Embedder to evaluate, repeatable (default: spectral); mfcc is always added"),
    heads: list[str] = typer.Option([], "--head", help="Projection head to evaluate (id or 'latest'; repeatable)"),
    models: str = models_option(),
    out: Optional[str] = typer.Option(None, "--out", "-o", help=f"Folder for indexes and report files "
                                                                 f"(--bench only) [default: {DEFAULT_OUT}]"),
    top: int = typer.Option(
        None, "--top", min=1, help="Hits searched per target, at least 20 (default: the whole library, exact MRR)"),
    pairs: list[str] = typer.Option(
        [], "--pairs", "-p", help="Pair file of your judgments, repeatable (--index only) "
                                  "[default: $TIMBRE_HOME/pairs.jsonl if it exists]"),
    presets: int = typer.Option(None, "--presets", min=1,
                                help="Previews sampled for self-retrieval (--index only) [default: 500]"),
    variants: int = typer.Option(None, "--variants", min=1,
                                 help="Augmented clips per sampled preview (--index only) [default: config, 4]"),
    config: Optional[str] = typer.Option(None, "--config", "-c",
                                         help="TOML whose [augment] settings and seed make the clips (--index only)"),
    thorough: bool = typer.Option(False, "--thorough", help="Also score each system with `timbre search "
                                                             "--thorough` (--bench only)"),
    views: Optional[str] = typer.Option(
        None, "--views", help="Pitch views of the benchmark's indexes, as `timbre index --views` (--bench only) "
                              "[default: keep; new indexes get 'default']"),
    view_textures: Optional[str] = textures_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Measure how often each system finds the preset a benchmark target was rendered from (--bench),
    or, on your own index, its own re-pitched and effected previews and your judgments (--index)."""
    own = {"--pairs": pairs, "--presets": presets, "--variants": variants, "--config": config}
    if bench is None:
        _refuse({"--embedder": embedders, "--out": out, "--top": top, "--thorough": thorough or None,
                 "--views": views, "--view-textures": view_textures}, "--index")
        return _own_library(resolve_index(index), pairs, heads, models, presets, variants, config, as_json)
    if index is not None:
        raise TimbreError("--bench and --index are two modes — pass --bench DIR for a rendered benchmark or "
                          "--index PATH for your own library, not both")
    _refuse(own, "--bench")
    from timbre.evaluation import evaluate

    report = evaluate(bench, embedders, heads=heads, models_dir=resolve_models(models) if heads else None,
                      out_dir=out or DEFAULT_OUT, top=top, progress=progress_bar(), thorough=thorough,
                      views=parse_views(views), textures=parse_view_textures(view_textures))
    if as_json:
        print_json(report.to_dict())
        return
    typer.echo(report.summary_markdown())
    typer.echo("")
    for kind, path in report.files.items():
        typer.echo(f"{kind}: {path}")


def _refuse(options: dict, mode: str) -> None:
    """One line when an option of the other mode was given."""
    given = [name for name, value in options.items() if value not in (None, [], ())]
    if given:
        other = "--bench" if mode == "--index" else "--index"
        raise TimbreError(f"{given[0]} does not apply to {mode} evaluation — drop it, or evaluate with {other}")


def _own_library(index: str, pairs: list[str], heads: list[str], models: str | None, presets: int | None,
                 variants: int | None, config: str | None, as_json: bool) -> None:
    from timbre.evaluation.own_library import DEFAULT_PRESETS, evaluate_own_library

    report = evaluate_own_library(index, pairs=pairs or None, heads=heads, models_dir=resolve_models(models),
                                  presets=presets or DEFAULT_PRESETS, config=config, variants=variants,
                                  progress=progress_bar())
    if as_json:
        print_json(report.to_dict())
        return
    typer.echo(report.table())


def compare_command(
    indexes: list[str] = typer.Option(..., "--index", "-i", help="An index of your library, repeatable: one per "
                                                                 "embedder to compare (at least two)"),
    pairs: list[str] = typer.Option([], "--pairs", "-p", help="Pair file of your judgments, repeatable "
                                                              "[default: $TIMBRE_HOME/pairs.jsonl if it exists]"),
    presets: int = typer.Option(None, "--presets", min=1, help="Previews sampled for self-retrieval [default: 500]"),
    variants: int = typer.Option(None, "--variants", min=1, help="Augmented clips per sampled preview "
                                                                 "[default: config, 4]"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="TOML whose [augment] settings and seed "
                                                                      "make the clips"),
    as_json: bool = typer.Option(False, "--json", help="Print the ranking as JSON"),
) -> None:
    """Rank indexes of the same library built with different embedders: self-retrieval of re-pitched and
    effected previews (the same ones for every index) and agreement with your judgments."""
    from timbre.evaluation.compare import compare_indexes
    from timbre.evaluation.own_library import DEFAULT_PRESETS

    comparison = compare_indexes(indexes, pairs=pairs or None, presets=presets or DEFAULT_PRESETS, config=config,
                                 variants=variants, progress=progress_bar())
    if as_json:
        print_json(comparison.to_dict())
        return
    typer.echo(comparison.table())
