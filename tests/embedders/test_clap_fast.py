"""The leaner HTSAT block forward replaces every block and keeps transformers' numbers."""

from __future__ import annotations

import pytest

from tiny_models import tiny_clap_config


@pytest.mark.parametrize("fusion", [False, True], ids=["unfused", "fused"])
def test_every_block_is_swapped_and_outputs_are_unchanged(fusion):
    import torch
    from transformers import ClapModel

    from timbre.embedders.clap_fast import speed_up_audio_tower

    torch.manual_seed(0)
    model = ClapModel(tiny_clap_config(300, fusion)).eval()
    features = torch.randn(3, 4 if fusion else 1, 1001, 64) * 10 - 40
    is_longer = torch.tensor([[False], [True], [False]]) if fusion else torch.zeros(3, 1, dtype=torch.bool)

    def audio_vectors():
        with torch.inference_mode():
            out = model.get_audio_features(input_features=features, is_longer=is_longer)
        return out if isinstance(out, torch.Tensor) else out.pooler_output

    expected = audio_vectors()
    assert speed_up_audio_tower(model) == sum(model.config.audio_config.depths)
    torch.testing.assert_close(audio_vectors(), expected, atol=1e-5, rtol=0)
