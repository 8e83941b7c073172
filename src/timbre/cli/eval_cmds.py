"""`timbre eval`: score embedders and heads on a rendered benchmark."""

from __future__ import annotations

import typer

from timbre.cli.common import models_option, print_json, progress_bar, resolve_models


def register(app: typer.Typer) -> None:
    """Add ``timbre eval`` to ``app``."""
    app.command("eval")(eval_command)


def eval_command(
    bench: str = typer.Option(..., "--bench", help="Benchmark folder from `timbre bench render`"),
    embedders: list[str] = typer.Option(
        [], "--embedder", "-e", help="Embedder to evaluate, repeatable (default: spectral); mfcc is always added"),
    heads: list[str] = typer.Option([], "--head", help="Projection head to evaluate (id or 'latest'; repeatable)"),
    models: str = models_option(),
    out: str = typer.Option("eval", "--out", "-o", help="Folder for indexes and report files"),
    top: int = typer.Option(
        None, "--top", min=1, help="Hits searched per target, at least 20 (default: the whole library, exact MRR)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Measure how often each system finds the preset a benchmark target was rendered from."""
    from timbre.evaluation import evaluate

    report = evaluate(bench, embedders, heads=heads, models_dir=resolve_models(models) if heads else None,
                      out_dir=out, top=top, progress=progress_bar())
    if as_json:
        print_json(report.to_dict())
        return
    typer.echo(report.summary_markdown())
    typer.echo("")
    for kind, path in report.files.items():
        typer.echo(f"{kind}: {path}")
