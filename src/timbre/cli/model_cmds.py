"""`timbre models convert` (LAION CLAP .pt -> transformers folder) and `timbre embedders`."""

from __future__ import annotations

import typer

from timbre.cli.common import print_json

models_app = typer.Typer(help="Prepare model weights for the neural embedders.", no_args_is_help=True)


@models_app.command("convert")
def convert_command(
    src: str = typer.Argument(..., help="Original LAION-CLAP checkpoint, e.g. music_audioset_epoch_15_esc_90.14.pt"),
    dest: str = typer.Argument(..., help="Output folder (transformers layout: config, safetensors, extractor)"),
) -> None:
    """Convert a LAION-CLAP .pt to a folder usable as `--embedder clap --model DEST`."""
    from timbre.embedders.clap_convert import convert_laion_checkpoint

    folder = convert_laion_checkpoint(src, dest)
    typer.echo(f"converted {src} -> {folder}; add the RoBERTa tokenizer files there for text queries")


def embedders_command(
    as_json: bool = typer.Option(False, "--json", help="Print as JSON"),
) -> None:
    """List the available embedders with sample rate, dimension and text support."""
    from timbre.embedders import describe_embedders

    rows = describe_embedders()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        if "error" in row:
            typer.echo(f"{row['name']:<10} unavailable: {row['error']}")
            continue
        rate = f"{row['sample_rate']} Hz" if row["sample_rate"] else "?"
        text = "text" if row["text"] else "-"
        typer.echo(f"{row['name']:<10} {rate:>9} {str(row['dim'] or '?'):>5}-d  {text:<4}  {row['description']}")
    typer.echo("combine any of them with weights: --embedder spectral+mfcc or spectral:0.7+clap:0.3")


def register(app: typer.Typer) -> None:
    """Add `models` (sub-commands) and `embedders` to ``app``."""
    app.add_typer(models_app, name="models")
    app.command("embedders")(embedders_command)
