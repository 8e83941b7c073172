"""``clap``: LAION CLAP (HTSAT audio tower + RoBERTa text tower) through transformers.

``model`` is a hub id (default ``laion/larger_clap_music``), a transformers folder, or an
original LAION ``.pt`` checkpoint (converted once by :mod:`timbre.embedders.clap_convert`).
Audio is cut into deterministic 10-s windows (:mod:`timbre.embedders.windows`); every window
is exactly 10 s, so the feature extractor never crops at random, and ``is_longer`` is forced
to False so the fusion branch's random "longer" pick never applies: the same clip always
gives the same vector. The log-mel input is computed in batched float32 torch on the model's
device (:mod:`timbre.embedders.clap_features`), with the folder's mel settings (LAION's when
it has none). Text needs tokenizer files in the model folder (or ``tokenizer=``), and is
refused, with the name of a working checkpoint, when the text tower is collapsed.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from timbre.embedders.base import l2_normalize
from timbre.devices import resolve_device
from timbre.embedders.clap_fast import speed_up_audio_tower
from timbre.embedders.clap_features import LogMel, feature_settings
from timbre.embedders.clap_text import check_text_tower, first_line, load_tokenizer, token_limit
from timbre.embedders.hub import hub_snapshot, looks_like_path, weight_files, weights_hash
from timbre.embedders.windowed import WindowedEmbedder
from timbre.embedders.windows import WindowSpec
from timbre.errors import ModelLoadError

#: The better audio model for synth presets; its text tower is collapsed (see clap_text).
DEFAULT_MODEL = "laion/larger_clap_music"
SAMPLE_RATE = 48000


class ClapEmbedder(WindowedEmbedder):
    """CLAP audio/text embedder at 48 kHz; ``dim`` = the checkpoint's projection size (512)."""

    name = "clap"
    supports_text = True
    batch_size = 8
    description = ("LAION CLAP (HTSAT + RoBERTa), 48 kHz, 512-d; needs weights; text queries need a checkpoint "
                   "with a working text tower (laion/larger_clap_general), not the default larger_clap_music")
    default_sample_rate = SAMPLE_RATE
    default_dim = 512

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu",
                 tokenizer: str | None = None, batch_windows: int | None = None):
        options: dict[str, Any] = {"model": model}
        if tokenizer:
            options["tokenizer"] = tokenizer
        super().__init__(**options)  # device and batch size do not change the vectors
        self.model_ref = model
        self.folder = resolve_clap_folder(model)
        self.tokenizer_folder = tokenizer or self.folder
        self.device = resolve_device(device)
        self.batch_windows = max(1, int(batch_windows or default_batch_windows(self.device)))
        self.batch_size = self.batch_windows  # clips per call while indexing: enough to fill a batch
        self.model = _load_model(self.folder, self.device)
        speed_up_audio_tower(self.model)
        fusion = bool(self.model.config.audio_config.enable_fusion)
        # "fusion" stacks 4 mels (the fused model needs them); "rand_trunc" is one mel and
        # only crops clips longer than 10 s, which our exact 10-s windows never are.
        self.truncation = "fusion" if fusion else "rand_trunc"
        self.features = feature_settings(self.folder, fusion)
        self.log_mel = LogMel(self.features, fusion, self.device)
        self.sample_rate = int(self.features["sampling_rate"])
        self.dim = int(self.model.config.projection_dim)
        self.windows = WindowSpec(self.sample_rate, window_seconds=float(self.features["max_length_s"]))
        self._weights_hash = weights_hash(weight_files(self.folder))
        self._tokenizer = None
        self._text_checked = False

    def _embed_windows(self, windows: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            samples = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)).to(self.device)
            features = self.log_mel(samples)
            is_longer = torch.zeros((len(windows), 1), dtype=torch.bool, device=self.device)
            output = self.model.get_audio_features(input_features=features, is_longer=is_longer)
        return _pooled(output).float().cpu().numpy()

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not self._text_checked:
            check_text_tower(self._text_vectors, self.model_ref)
            self._text_checked = True
        return self._text_vectors(texts)

    def _text_vectors(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        tokenizer = self.tokenizer()
        tokens = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt",
                           max_length=token_limit(tokenizer, self.model.config.text_config))
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
            "features": self.features,
            **self.windows.describe(),
        }


def default_batch_windows(device: str) -> int:
    """Windows per model call: a few on a CPU (no gain beyond), many on a GPU (keeps it busy)."""
    return 8 if device == "cpu" else 32


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
    """The ``ClapModel`` of ``folder``, every weight from the files (else a one-line error)."""
    from transformers import ClapModel

    from timbre.runtime import configure_torch

    configure_torch()
    try:
        model, info = ClapModel.from_pretrained(folder, local_files_only=True, output_loading_info=True)
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        raise ModelLoadError(f"{folder}: cannot load a CLAP model ({first_line(err)})") from None
    problems = [("missing", k) for k in info.get("missing_keys", [])]
    problems += [("unexpected", k) for k in info.get("unexpected_keys", [])]
    problems += [("mis-shaped", k if isinstance(k, str) else k[0]) for k in info.get("mismatched_keys", [])]
    if problems:
        listed = ", ".join(f"{kind} {key}" for kind, key in problems[:4])
        more = f" and {len(problems) - 4} more" if len(problems) > 4 else ""
        raise ModelLoadError(f"{folder}: the weights do not fit the CLAP config ({listed}{more}); "
                             f"use a complete CLAP checkpoint folder or the original LAION .pt")
    return model.eval().to(device)
