"""`timbre bench render`: write the synthetic preset benchmark."""

from __future__ import annotations

import typer

from timbre.cli.common import progress_bar

bench_app = typer.Typer(help="Synthetic benchmark: render presets and target loops with known answers.",
                        no_args_is_help=True)


@bench_app.command("render")
def render(
    out: str = typer.Argument(..., help="Folder to write previews/, presets/, targets/ and manifest.json into"),
    size: str = typer.Option("small", "--size", help="tiny, small (~40 presets), bench (1,000+) or 30k"),
    seed: int = typer.Option(0, "--seed", min=0, help="Same seed and size give the same files"),
    workers: int = typer.Option(None, "--workers", min=0, help="Render processes [default: usable cores]"),
    source: str = typer.Option("synth", "--source",
                               help="synth (the benchmark synth timbre is tuned on) or heldout (plucked strings, "
                                    "bars, bells, reeds, FM and wavetable voices: for reporting only, never tuning)"),
) -> None:
    """Render a benchmark folder deterministically from a seed."""
    from timbre.bench import render_benchmark

    report = render_benchmark(out, size=size, seed=seed, progress=progress_bar(), workers=workers, source=source)
    typer.echo(f"rendered {report.presets} presets and {report.targets} targets ({report.size}, seed "
               f"{report.seed}, source {report.source}) into {report.out_dir} in {report.seconds:.1f} s")


def register(app: typer.Typer) -> None:
    """Add the ``bench`` command group to ``app``."""
    app.add_typer(bench_app, name="bench")
