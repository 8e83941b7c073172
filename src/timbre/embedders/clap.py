"""``clap``: LAION CLAP (HTSAT audio tower + RoBERTa text tower) through transformers.

``model`` is a hub id (default ``laion/larger_clap_music``), a transformers folder, or an
original LAION ``.pt`` checkpoint (converted once by :mod:`timbre.embedders.clap_convert`).
Audio is cut into deterministic 10-s windows (:mod:`timbre.embedders.windows`); every window
is exactly 10 s, so the feature extractor never crops at random, and ``is_longer`` is forced
to False so the fusion branch's random "longer" pick never applies: the same clip always
gives the same vector. Text needs tokenizer files in the model folder (or ``tokenizer=``).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from timbre.embedders.base import Embedder, l2_normalize
from timbre.devices import resolve_device
from timbre.embedders.hub import hub_snapshot, looks_like_path, weight_files, weights_hash
from timbre.embedders.windows import WindowSpec, embed_windowed
from timbre.errors import ModelLoadError

DEFAULT_MODEL = "laion/larger_clap_music"
SAMPLE_RATE = 48000
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "tokenizer_config.json")


class ClapEmbedder(Embedder):
    """CLAP audio/text embedder at 48 kHz; ``dim`` = the checkpoint's projection size (512)."""

    name = "clap"
    supports_text = True
    batch_size = 8
    description = "LAION CLAP (HTSAT + RoBERTa), 48 kHz, 512-d, text queries; needs weights"
    default_sample_rate = SAMPLE_RATE
    default_dim = 512

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu",
                 tokenizer: str | None = None, batch_windows: int = 8):
        options: dict[str, Any] = {"model": model}
        if tokenizer:
            options["tokenizer"] = tokenizer
        super().__init__(**options)  # device and batch size do not change the vectors
        self.model_ref = model
        self.folder = resolve_clap_folder(model)
        self.tokenizer_folder = tokenizer or self.folder
        self.device = resolve_device(device)
        self.batch_windows = max(1, int(batch_windows))
        self.model, self.feature_extractor = _load_model(self.folder, self.device)
        self.sample_rate = int(self.feature_extractor.sampling_rate)
        self.dim = int(self.model.config.projection_dim)
        fusion = bool(self.model.config.audio_config.enable_fusion)
        # "fusion" stacks 4 mels (the fused model needs them); "rand_trunc" is one mel and
        # only crops clips longer than 10 s, which our exact 10-s windows never are.
        self.truncation = "fusion" if fusion else "rand_trunc"
        self.windows = WindowSpec(self.sample_rate)
        self._weights_hash = weights_hash(weight_files(self.folder))
        self._tokenizer = None

    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return embed_windowed(batch, self.windows, self._embed_windows, self.batch_windows)

    def _embed_windows(self, windows: np.ndarray) -> np.ndarray:
        import torch

        features = self.feature_extractor(
            list(windows.astype(np.float64)), sampling_rate=self.sample_rate,
            truncation=self.truncation, padding="repeatpad", return_tensors="pt",
        )
        is_longer = torch.zeros((len(windows), 1), dtype=torch.bool)
        with torch.inference_mode():
            output = self.model.get_audio_features(
                input_features=features["input_features"].to(self.device, torch.float32),
                is_longer=is_longer.to(self.device),
            )
        return _pooled(output).float().cpu().numpy()

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokenizer = self.tokenizer()
        tokens = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            output = self.model.get_text_features(
                input_ids=tokens["input_ids"].to(self.device),
                attention_mask=tokens["attention_mask"].to(self.device),
            )
        return l2_normalize(_pooled(output).float().cpu().numpy())

    def tokenizer(self):
        """The checkpoint's own tokenizer, checked against the text tower's vocabulary."""
        if self._tokenizer is None:
            vocab = int(self.model.config.text_config.vocab_size)
            self._tokenizer = load_tokenizer(self.tokenizer_folder, vocab)
        return self._tokenizer

    def fingerprint_parts(self) -> dict[str, Any]:
        return {
            "model": self.model_ref,
            "weights": self._weights_hash,
            "truncation": self.truncation,
            "padding": "repeatpad",
            "is_longer": False,
            **self.windows.describe(),
        }


def _pooled(output) -> "Any":
    """transformers < 5 returns a tensor, 5+ an output object with ``pooler_output``."""
    return output if hasattr(output, "dim") else output.pooler_output


def resolve_clap_folder(model: str) -> str:
    """A transformers CLAP folder for a hub id, a folder, or a LAION ``.pt`` checkpoint."""
    path = os.path.expanduser(model)
    if os.path.isfile(path):
        from timbre.embedders.clap_convert import converted_folder

        return converted_folder(path)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "config.json")):
            raise ModelLoadError(f"{path}: no config.json; pass a transformers CLAP folder or a LAION .pt")
        if not weight_files(path):
            raise ModelLoadError(f"{path}: no model weights (*.safetensors / pytorch_model.bin) in the folder")
        return path
    if looks_like_path(model):
        raise ModelLoadError(f"{model}: no such file or folder; pass --model /path/to/folder-or.pt")
    return hub_snapshot(model, "CLAP")


def _load_model(folder: str, device: str):
    from transformers import ClapFeatureExtractor, ClapModel

    from timbre.runtime import configure_torch

    configure_torch()
    try:
        model = ClapModel.from_pretrained(folder, local_files_only=True).eval().to(device)
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        raise ModelLoadError(f"{folder}: cannot load a CLAP model ({_first_line(err)})") from None
    if os.path.isfile(os.path.join(folder, "preprocessor_config.json")):
        extractor = ClapFeatureExtractor.from_pretrained(folder, local_files_only=True)
    else:
        extractor = ClapFeatureExtractor()
    return model, extractor


def load_tokenizer(folder: str, vocab_size: int):
    """Tokenizer from ``folder`` only (never a hub fallback), sized like the text tower."""
    if not any(os.path.isfile(os.path.join(folder, f)) for f in TOKENIZER_FILES):
        raise ModelLoadError(
            f"{folder}: no tokenizer files, so text queries are impossible; pass tokenizer=/folder "
            f"holding the RoBERTa tokenizer (vocab.json + merges.txt) of this CLAP model"
        )
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError) as err:
        raise ModelLoadError(f"{folder}: cannot load the tokenizer ({_first_line(err)})") from None
    size = len(tokenizer)
    if size > vocab_size or size < 0.9 * vocab_size:
        raise ModelLoadError(
            f"{folder}: tokenizer has {size} tokens but the CLAP text tower expects {vocab_size}; "
            f"use the tokenizer files that came with this checkpoint"
        )
    return tokenizer


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
