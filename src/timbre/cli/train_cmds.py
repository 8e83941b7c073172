"""`timbre train` (fit a projection head) and `timbre heads list|show|rm`."""

from __future__ import annotations

from typing import Optional

import typer

from timbre.cli.common import (device_option, half_option, index_option, models_option, print_json, progress_bar,
                               resolve_index, resolve_models, resolve_placement)

heads_app = typer.Typer(help="List, show and remove trained projection heads.", no_args_is_help=True)


def train_command(
    pairs: list[str] = typer.Option([], "--pairs", "-p",
                                    help="Pair file (.jsonl/.parquet); repeatable [default: $TIMBRE_HOME/pairs.jsonl "
                                         "if it exists]"),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment",
                                           help="Self-supervised positives from the previews [default: config]"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="TOML overriding configs/head.toml"),
    index: Optional[str] = index_option(),
    models: Optional[str] = models_option(),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs", min=1, help="Override trainer.max_epochs"),
    device: Optional[str] = device_option(),
    half: Optional[bool] = half_option(),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before a long augmentation (the estimate is "
                                                        "still printed)"),
    as_json: bool = typer.Option(False, "--json", help="Print the new head as JSON"),
) -> None:
    """Train a projection head on the index's vectors and make it `latest`.

    With --augment, at most augment.max_presets presets are augmented (see configs/head.toml);
    the embedding time is estimated first and, when long, you are asked before it starts."""
    from timbre.heads.train import train_head

    info = train_head(resolve_index(index), pairs=pairs or None, augment=augment, config=config,
                      models_dir=resolve_models(models), max_epochs=max_epochs,
                      progress=None if as_json else progress_bar(), placement=resolve_placement(device, half),
                      confirm=_confirm(yes))
    if as_json:
        print_json(info.to_dict())
        return
    from timbre.heads.agreement import describe_summary

    typer.echo(f"head {info.id} -> {info.path} (latest)")
    if info.training.get("summary"):
        typer.echo(describe_summary(info.training["summary"], verb="trained on"))
    _echo_metrics(info.metrics)


def _confirm(yes: bool):
    """How a long augmentation is confirmed: --yes, a prompt on a terminal, else go ahead and say why."""
    import sys

    def go_ahead(reason: str):
        def answer(question: str) -> bool:
            typer.echo(f"{question} yes ({reason})", err=True)
            return True
        return answer

    if yes:
        return go_ahead("--yes")
    if not sys.stdin.isatty():
        return go_ahead("not an interactive terminal; pass --yes to say so")
    return lambda question: typer.confirm(question, default=True, err=True)


def list_command(models: Optional[str] = models_option(),
                 as_json: bool = typer.Option(False, "--json", help="Print as JSON")) -> None:
    """List trained heads, oldest first; `*` marks latest."""
    from timbre.heads.registry import list_heads

    infos = list_heads(resolve_models(models))
    if as_json:
        print_json([i.to_dict() for i in infos])
        return
    if not infos:
        typer.echo("no trained heads; run `timbre train`")
    for i in infos:
        after = i.metrics.get("after", {}) if i.metrics else {}
        mrr = after.get("mrr")
        typer.echo(f"{'*' if i.latest else ' '} {i.id}  {i.loss:<18} {i.embedder.get('name', '?'):<9} "
                   f"mrr {mrr if mrr is None else round(mrr, 3)}  {i.created}")


def show_command(ref: str = typer.Argument("latest", help="Head id, unique id prefix, or `latest`"),
                 models: Optional[str] = models_option(),
                 as_json: bool = typer.Option(False, "--json", help="Print as JSON")) -> None:
    """Show one head's configuration and validation figures."""
    from timbre.heads.registry import head_info, member_count

    info = head_info(resolve_models(models), ref)
    if as_json:
        print_json(info.to_dict())
        return
    typer.echo(f"head      {info.id}{' (latest)' if info.latest else ''}\npath      {info.path}")
    typer.echo(f"created   {info.created}\nloss      {info.loss}\ndims      {info.dims}")
    members = member_count(info.dims)
    networks = f" (the mean of its {members} networks)" if members > 1 else ""
    typer.echo(f"scores    {1 - info.base_weight:.2f} x head{networks} + {info.base_weight:.2f} x base space")
    typer.echo(f"embedder  {info.embedder.get('name')} fingerprint {info.embedder.get('fingerprint')}")
    _echo_metrics(info.metrics)


def rm_command(ref: str = typer.Argument(..., help="Head id or unique id prefix"),
               models: Optional[str] = models_option()) -> None:
    """Delete a head (if it was `latest`, `latest` moves to the newest remaining one)."""
    from timbre.heads.registry import remove_head

    typer.echo(f"removed head {remove_head(resolve_models(models), ref)}")


def _echo_metrics(metrics: dict) -> None:
    from timbre.heads.agreement import describe_agreement

    for name in ("pair_accuracy", "auc", "mrr", "recall_at_1", "recall_at_10"):
        before, after = (metrics.get(when, {}).get(name) for when in ("before", "after"))
        if before is not None or after is not None:
            typer.echo(f"  {name:<14} base {_fmt(before)} -> head {_fmt(after)}")
    typer.echo(describe_agreement(metrics))


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    """Add `train` and the `heads` group to ``app``."""
    app.command("train")(train_command)
    heads_app.command("list")(list_command)
    heads_app.command("show")(show_command)
    heads_app.command("rm")(rm_command)
    app.add_typer(heads_app, name="heads")
