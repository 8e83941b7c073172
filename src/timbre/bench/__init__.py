"""Synthetic preset benchmark: a numpy synth renders preset previews and target loops with known answers."""

from timbre.bench.render import BenchReport, render_benchmark

__all__ = ["BenchReport", "render_benchmark"]
