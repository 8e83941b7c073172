"""Tag rules on their own: names and folders, and the calibrated zero-shot margin."""

import numpy as np
import pytest

from timbre.tags import AUDIO_MARGIN, PROMPTS, audio_tags, calibrated, name_tags


@pytest.mark.parametrize("name, folder, tags", [
    ("LD Screamer", "/lib/Serum", ["lead"]),
    ("PD_Warm Air", "/lib/x", ["pad"]),
    ("BS - Sub Wobble", "/lib/x", ["bass"]),
    ("PL Glass", "/lib/x", ["pluck"]),
    ("KEY Rhodes", "/lib/x", ["keys"]),
    ("FX Riser 3", "/lib/x", ["fx"]),
    ("ARP Stepper", "/lib/x", ["arp"]),
    ("WarmPad 2", "/lib/x", ["pad"]),  # camelCase
    ("Glassy Plucks", "/lib/x", ["pluck"]),  # a plural word anywhere
    ("Nice One", "/home/me/Presets/Basses", ["bass"]),  # the bank folder
    ("Nice One", "/home/me/Leads/Serum Bank", ["lead"]),  # the folder above it
    ("Nice One", "/pad/deep/down/Serum Bank", []),  # folders further up do not count
    ("Stellar Dust", "/lib/x", []),  # a prefix only counts as the first word ("st" inside is nothing)
    ("Big LD", "/lib/x", []),
])
def test_names_and_folders_give_tags(name, folder, tags):
    assert name_tags(name, folder) == tags


def test_a_category_every_preset_scores_high_on_is_no_tag():
    rng = np.random.default_rng(0)
    scores = rng.normal(0.1, 0.01, size=(40, len(PROMPTS))).astype(np.float32)
    pad, lead = list(PROMPTS).index("pad"), list(PROMPTS).index("lead")
    scores[:, lead] += 0.3  # a biased prompt: every preset looks like a lead
    scores[:5, pad] += 0.2  # five presets really are pads
    tags = audio_tags(scores)
    assert all("pad" in t for t in tags[:5]) and not any("pad" in t for t in tags[5:])
    assert not any("lead" in t for t in tags)
    assert tags[0]["pad"] == pytest.approx(float(scores[0, pad]), abs=1e-4)
    assert (calibrated(scores)[:5, pad] >= AUDIO_MARGIN).all()


def test_a_preset_takes_at_most_two_audio_tags():
    scores = np.zeros((20, len(PROMPTS)), np.float32)
    scores[0] = np.linspace(1.0, 0.5, len(PROMPTS))  # stands out on every category
    assert len(audio_tags(scores)[0]) == 2 and audio_tags(scores)[1] == {}
