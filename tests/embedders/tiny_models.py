"""Tiny CLAP and CNN14 models built offline, saved the way real checkpoints are.

Fixtures are registered by ``conftest.py``; helpers are imported by the test modules.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

CORPUS = [
    "warm analog pad with slow attack",
    "bright plucked synth lead",
    "deep sub bass with distortion",
    "airy bell texture and reverb",
] * 8


@pytest.fixture(autouse=True)
def isolated_model_cache(tmp_path_factory, monkeypatch):
    """Weight hashes and converted models go to a per-test cache, never ~/.cache; no hub."""
    monkeypatch.setenv("TIMBRE_CACHE", str(tmp_path_factory.mktemp("timbre-cache")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def build_tokenizer(folder: str, vocab_size: int = 300):
    """A byte-level BPE tokenizer trained on a few phrases, saved as a RoBERTa-style folder
    (``<s> ... </s>`` around every text, as CLAP's RoBERTa tokenizer does)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(CORPUS, trainer)
    bpe.post_processor = processors.RobertaProcessing(("</s>", bpe.token_to_id("</s>")),
                                                      ("<s>", bpe.token_to_id("<s>")), add_prefix_space=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>", unk_token="<unk>", mask_token="<mask>")
    tokenizer.save_pretrained(folder)
    return tokenizer


def tiny_clap_config(vocab_size: int, fusion: bool = False):
    """HTSAT/RoBERTa-shaped but tiny; 64-d text heads, as the LAION converter assumes."""
    from transformers import ClapConfig

    return ClapConfig(
        text_config=dict(vocab_size=vocab_size, hidden_size=64, num_hidden_layers=1, num_attention_heads=1,
                         intermediate_size=32, max_position_embeddings=40),
        audio_config=dict(patch_embeds_hidden_size=8, depths=[1, 1, 1, 1], num_attention_heads=[1, 1, 1, 1],
                          hidden_size=64, enable_fusion=fusion, fusion_type="aff_2d" if fusion else None),
        projection_dim=8,
    )


def save_tiny_clap(folder: str, *, with_tokenizer: bool = True, seed: int = 0, fusion: bool = False,
                   with_preprocessor: bool = True):
    """Save a random tiny ClapModel + feature extractor (+ tokenizer) to ``folder``; the
    extractor has the hub's LAION settings (50 Hz - 14 kHz)."""
    import torch
    from transformers import ClapFeatureExtractor, ClapModel

    os.makedirs(folder, exist_ok=True)
    tokenizer_dir = folder if with_tokenizer else os.path.join(folder, "..", "unused-tokenizer")
    vocab = len(build_tokenizer(tokenizer_dir))
    torch.manual_seed(seed)
    model = ClapModel(tiny_clap_config(vocab, fusion)).eval()
    with torch.no_grad():  # wide enough weights that unrelated prompts get distinct vectors
        for param in model.text_model.parameters():
            if param.dim() == 2:
                param.normal_(0.0, 0.4)
    model.save_pretrained(folder)
    if with_preprocessor:
        ClapFeatureExtractor(truncation="fusion" if fusion else "rand_trunc", frequency_min=50,
                             frequency_max=14000).save_pretrained(folder)
    return model


@pytest.fixture(scope="session")
def tiny_clap_dir(tmp_path_factory):
    """A saved tiny CLAP folder with tokenizer and feature extractor (built once)."""
    folder = str(tmp_path_factory.mktemp("tiny-clap"))
    save_tiny_clap(folder)
    return folder


def save_tiny_cnn14(path: str, *, seed: int = 0, widths=(4, 8, 8, 16, 16, 32), mel_bins: int = 64):
    """A random CNN14 with small widths saved as the official ``{"model": state_dict}``."""
    import torch

    from timbre.embedders.cnn14 import Cnn14, Cnn14Config

    torch.manual_seed(seed)
    network = Cnn14(Cnn14Config(widths=tuple(widths), mel_bins=mel_bins))
    for module in network.modules():  # non-trivial batch-norm statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    torch.save({"model": network.state_dict(), "iteration": 660000}, path)
    return network.eval()


def tone(seconds: float, sample_rate: int, freq: float = 220.0, seed: int = 0) -> np.ndarray:
    """A harmonic tone with a little noise, float32."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    rng = np.random.default_rng(seed)
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 5))
    return (0.3 * wave + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
