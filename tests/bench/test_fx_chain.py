"""The effects API shared by the benchmark renderer and the heads' augmentation."""

import numpy as np
import pytest

from timbre.bench.effects import FX_NAMES, apply_fx_chain, random_fx_chain

SR = 16000


def _tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.5 * np.sin(2 * np.pi * 220 * t) * np.exp(-2 * t)).astype(np.float32)


def test_random_chains_are_seeded_and_use_known_effects():
    first = [random_fx_chain(np.random.default_rng(7)) for _ in range(3)]
    again = [random_fx_chain(np.random.default_rng(7)) for _ in range(3)]
    assert first == again
    chains = [random_fx_chain(np.random.default_rng(seed)) for seed in range(60)]
    names = {fx["name"] for chain in chains for fx in chain}
    assert names == set(FX_NAMES)
    assert all(1 <= len(chain) <= 3 for chain in chains)


@pytest.mark.parametrize("seed", range(12))
def test_any_random_chain_gives_finite_audio_at_least_as_long(seed):
    signal = _tone()
    out = apply_fx_chain(signal, SR, random_fx_chain(np.random.default_rng(seed)))
    assert out.dtype == np.float32 and out.ndim == 1
    assert out.size >= signal.size
    assert np.isfinite(out).all() and np.abs(out).max() > 1e-4


def test_each_effect_changes_the_signal():
    signal = _tone()
    rng = np.random.default_rng(3)
    for name in FX_NAMES:
        chain = [fx for _ in range(40) for fx in random_fx_chain(rng) if fx["name"] == name][:1]
        out = apply_fx_chain(signal, SR, chain)
        assert not np.allclose(out[: signal.size], signal, atol=1e-3), name


def test_the_same_chain_gives_the_same_samples():
    chain = [{"name": "reverb", "decay_s": 1.0, "mix": 0.4, "seed": 5}, {"name": "delay", "time_ms": 200.0}]
    assert np.array_equal(apply_fx_chain(_tone(), SR, chain), apply_fx_chain(_tone(), SR, chain))


def test_reverb_and_delay_add_a_tail():
    signal = _tone(0.5)
    assert apply_fx_chain(signal, SR, [{"name": "reverb", "decay_s": 1.0}]).size > signal.size
    assert apply_fx_chain(signal, SR, [{"name": "delay", "time_ms": 100.0, "repeats": 3}]).size > signal.size


def test_gain_and_compression_change_level_as_asked():
    signal = _tone()
    louder = apply_fx_chain(signal, SR, [{"name": "gain", "db": 6.0}])
    assert np.abs(louder).max() == pytest.approx(2 * np.abs(signal).max(), rel=0.01)
    squashed = apply_fx_chain(signal, SR, [{"name": "compression", "threshold_db": -30.0, "ratio": 8.0}])
    assert np.abs(squashed).max() < 0.7 * np.abs(signal).max()


def test_tiny_and_empty_inputs_do_not_fail():
    for size in (0, 1, 10):
        for seed in range(10):
            out = apply_fx_chain(np.full(size, 0.1, np.float32), SR, random_fx_chain(np.random.default_rng(seed)))
            assert np.isfinite(out).all()


def test_unknown_effect_is_rejected():
    with pytest.raises(ValueError, match="unknown effect"):
        apply_fx_chain(_tone(), SR, [{"name": "flanger"}])
