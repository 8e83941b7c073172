"""`timbre learn`: train an embedder on the index's own previews."""

from __future__ import annotations

from typing import Optional

import typer

from timbre.cli.common import device_option, index_option, models_option, print_json, progress_bar, resolve_index, \
    resolve_models


def learn_command(
    index: Optional[str] = index_option(),
    models: Optional[str] = models_option(),
    epochs: int = typer.Option(12, "--epochs", min=1, help="Passes over the previews' clips"),
    max_presets: int = typer.Option(10_000, "--max-presets", min=2,
                                    help="Learn from at most this many previews (a seeded sample of a larger index)"),
    seed: int = typer.Option(0, "--seed", min=0, help="Same seed and index give the same network"),
    device: Optional[str] = device_option(),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Processes preparing the previews "
                                                                               "[default: cores]"),
    as_json: bool = typer.Option(False, "--json", help="Print the new model's config as JSON"),
) -> None:
    """Learn an embedder from the index's previews (no labels needed): a small network hears each
    preview's re-pitched, looped, chorded and effected clips and learns to find the preview again.
    Then index with it beside `spectral`: --embedder spectral+learned."""
    from timbre.config import placement_choice
    from timbre.learned.fit import FitSettings
    from timbre.learned.learn import learn_embedder

    placement = placement_choice(device, None).resolved()
    info = learn_embedder(resolve_index(index), resolve_models(models), fit=FitSettings(epochs=epochs, seed=seed),
                          max_presets=max_presets, device=placement.device, workers=workers,
                          progress=None if as_json else progress_bar())
    if as_json:
        print_json(info)
        return
    training, previews = info["training"], info["previews"]
    typer.echo(f"learned embedder {info['id']} -> {info['path']}")
    typer.echo(f"  from {previews['learned_from']} previews ({previews['undecodable']} undecodable), "
               f"{training['epochs']} epochs on {training['device']}, loss {training['losses'][0]} -> "
               f"{training['losses'][-1]}, {training['prepare_s'] + training['train_s']:.0f} s")
    typer.echo(f"  use it: timbre index FOLDER... --index NEW_INDEX --embedder spectral+learned --model {info['path']}")


def register(app: typer.Typer) -> None:
    """Add `learn` to ``app``."""
    app.command("learn")(learn_command)
