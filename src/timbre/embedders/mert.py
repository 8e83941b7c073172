"""``mert``: MERT-v1 (m-a-p, self-supervised on music), 24 kHz raw waveform, through transformers.

``model`` is a hub id (default ``m-a-p/MERT-v1-95M``; ``m-a-p/MERT-v1-330M`` for 1024-d) or a
local folder. A folder must hold ``config.json``, ``preprocessor_config.json`` (the
``Wav2Vec2FeatureExtractor`` settings: 24 kHz, ``do_normalize``) and the weights
(``model.safetensors`` or ``pytorch_model.bin``). MERT-v1's hub code is *remote code*
(``config.json`` has ``auto_map`` pointing at ``configuration_MERT.py`` / ``modeling_MERT.py``),
but the released 95M and 330M models are HuBERT networks with MERT's field names: when the
config says ``feature_extractor_cqt: false`` and ``deepnorm: false`` the weights load into
transformers' own ``HubertModel`` and no code from the folder runs. Only other variants need
the two ``.py`` files next to ``config.json``; they are then run with ``trust_remote_code``
(code from that folder executes: use folders you trust). A missing piece fails in one line.

Audio is cut into deterministic windows (default 5 s, MERT's pretraining context, 2.5-s
hop, at most 30 s; short clips repeat-padded, see :mod:`timbre.embedders.windows`). Each
window is normalised by the feature extractor, and its vector is the mean over time of the
mean of the chosen hidden layers (``layers="-4:"``: the last four transformer layers; index 0
is the CNN/projection output, as in transformers' ``hidden_states``). Window vectors are
L2-normalised, averaged per clip and normalised again. ``dim`` is the config's
``hidden_size`` (768 for 95M, 1024 for 330M).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from timbre.devices import resolve_device
from timbre.embedders.hub import (
    hub_offline, hub_reachable, hub_snapshot, looks_like_path, missing_model_error,
    weight_files, weights_hash,
)
from timbre.embedders.windowed import WindowedEmbedder
from timbre.embedders.windows import WindowSpec
from timbre.errors import ModelLoadError

DEFAULT_MODEL = "m-a-p/MERT-v1-95M"
SAMPLE_RATE = 24000
DEFAULT_LAYERS = "-4:"
WINDOW_SECONDS = 5.0
MAX_WINDOW_SECONDS = 30.0
#: Config fields whose non-default values change the network beyond HuBERT's.
REMOTE_ONLY_FIELDS = ("feature_extractor_cqt", "deepnorm")
#: Never used at inference (SpecAugment's mask vector); a checkpoint may omit it.
UNUSED_WEIGHTS = {"masked_spec_embed"}
FOLDER_HINT = (
    "a MERT folder needs config.json, preprocessor_config.json and model.safetensors or "
    "pytorch_model.bin (e.g. a download of m-a-p/MERT-v1-95M)"
)


class MertEmbedder(WindowedEmbedder):
    """MERT-v1 at 24 kHz: last-four-layer mean over time; ``dim`` = 768 (95M) / 1024 (330M)."""

    name = "mert"
    batch_size = 4
    description = "MERT-v1 (music SSL), 24 kHz, 768/1024-d, last-4-layer mean; needs weights"
    default_sample_rate = SAMPLE_RATE
    default_dim = 768

    def __init__(self, model: str = DEFAULT_MODEL, layers: str = DEFAULT_LAYERS,
                 window_s: float = WINDOW_SECONDS, hop_s: float | None = None,
                 device: str = "cpu", batch_windows: int = 4):
        hop_s = window_s / 2 if hop_s is None else hop_s
        super().__init__(model=model, layers=str(layers), window_s=float(window_s), hop_s=float(hop_s))
        check_windows(float(window_s), float(hop_s))
        self.model_ref = model
        self.folder, self.config = resolve_mert_folder(model)
        self.layer_indices = parse_layers(str(layers), int(self.config["num_hidden_layers"]))
        self.device = resolve_device(device)
        self.batch_windows = max(1, int(batch_windows))
        self.remote_code = needs_remote_code(self.config)
        self.feature_extractor = load_feature_extractor(self.folder, self.config)
        self.sample_rate = int(self.feature_extractor.sampling_rate)
        self.windows = WindowSpec(self.sample_rate, float(window_s), float(hop_s))
        self.model = load_mert_model(self.folder, self.config, self.device, self.remote_code)
        self.dim = int(self.config["hidden_size"])
        self._weights_hash = weights_hash(weight_files(self.folder))

    def _embed_windows(self, windows: np.ndarray) -> np.ndarray:
        import torch

        inputs = self.feature_extractor(list(windows), sampling_rate=self.sample_rate, return_tensors="pt")
        with torch.inference_mode():
            values = inputs["input_values"].to(self.device, torch.float32)
            hidden = self.model(values, output_hidden_states=True).hidden_states
            chosen = torch.stack([hidden[i] for i in self.layer_indices]).mean(dim=0)
            return chosen.mean(dim=1).float().cpu().numpy()

    def fingerprint_parts(self) -> dict[str, Any]:
        return {
            "model": self.model_ref,
            "weights": self._weights_hash,
            "layers": list(self.layer_indices),
            "pooling": "mean over layers and time",
            "normalize": bool(getattr(self.feature_extractor, "do_normalize", False)),
            "network": "remote MERTModel" if self.remote_code else "HubertModel",
            **self.windows.describe(),
        }


def check_windows(window_s: float, hop_s: float) -> None:
    """One-line errors for window and hop lengths (seconds) MERT cannot use."""
    if not 0.5 <= window_s <= MAX_WINDOW_SECONDS:
        raise ModelLoadError(f"mert window_s={window_s:g} is out of range; use 0.5 to 30 seconds (default 5)")
    if not 0 < hop_s <= window_s:
        raise ModelLoadError(f"mert hop_s={hop_s:g} must be > 0 and at most window_s={window_s:g}")


def parse_layers(spec: str, num_layers: int) -> tuple[int, ...]:
    """Indices into ``hidden_states`` (``num_layers + 1`` entries, 0 = before the transformer)
    from ``"-4:"`` (a Python slice), ``"all"``, or a comma list such as ``"6,12"`` / ``"-1"``."""
    positions = list(range(num_layers + 1))
    text = spec.strip().lower()
    try:
        if text == "all":
            chosen = positions[1:]
        elif ":" in text:
            parts = [int(p) if p.strip() else None for p in text.split(":")]
            if len(parts) > 3:
                raise ValueError(text)
            chosen = positions[slice(*parts)]
        else:
            chosen = [positions[int(p)] for p in text.split(",")]
    except (ValueError, IndexError):
        raise ModelLoadError(
            f"mert layers='{spec}' is not a valid layer set for a {num_layers}-layer model; "
            f"use a slice like '-4:' (default), 'all', or indices like '6,12' (0 = before the transformer)"
        ) from None
    if not chosen:
        raise ModelLoadError(f"mert layers='{spec}' selects no layer of a {num_layers}-layer model; try '-4:'")
    return tuple(dict.fromkeys(chosen))


def resolve_mert_folder(model: str) -> tuple[str, dict[str, Any]]:
    """The local folder of a MERT model (hub id or path) and its parsed ``config.json``."""
    path = os.path.expanduser(model)
    from_hub = not os.path.isdir(path)
    if from_hub:
        if looks_like_path(model):
            raise ModelLoadError(f"{model}: no such folder; pass --model /path/to/mert-folder ({FOLDER_HINT})")
        path = hub_snapshot(model, "MERT")
    config = read_config(path)
    if not weight_files(path):
        raise ModelLoadError(f"{path}: no model weights in the folder; {FOLDER_HINT}")
    missing = missing_code_files(path, config) if needs_remote_code(config) else []
    if missing and from_hub:
        fetch_code_files(model)
        missing = missing_code_files(path, config)
    if missing:
        raise ModelLoadError(
            f"{path}: this MERT variant ({', '.join(f for f in REMOTE_ONLY_FIELDS if config.get(f))}) needs its "
            f"remote code but {', '.join(missing)} is missing; copy modeling_MERT.py and configuration_MERT.py "
            f"from the model's hub page into the folder"
        )
    return path, config


def read_config(folder: str) -> dict[str, Any]:
    """``config.json`` of a MERT (or plain HuBERT) folder, checked for the fields we read."""
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
            config = json.load(handle)
    except OSError:
        raise ModelLoadError(f"{folder}: no config.json; {FOLDER_HINT}") from None
    except ValueError as err:
        raise ModelLoadError(f"{folder}: config.json is not valid JSON ({err})") from None
    kind = config.get("model_type") if isinstance(config, dict) else None
    if kind not in ("mert_model", "hubert"):
        raise ModelLoadError(f"{folder}: config.json describes a '{kind}' model, not MERT; {FOLDER_HINT}")
    for field in ("hidden_size", "num_hidden_layers"):
        if not isinstance(config.get(field), int):
            raise ModelLoadError(f"{folder}: config.json has no integer '{field}'; {FOLDER_HINT}")
    return config


def needs_remote_code(config: dict[str, Any]) -> bool:
    """True for MERT variants that transformers' ``HubertModel`` cannot run."""
    return any(bool(config.get(field)) for field in REMOTE_ONLY_FIELDS)


def missing_code_files(folder: str, config: dict[str, Any]) -> list[str]:
    """The ``.py`` files named by ``auto_map`` that are not in ``folder`` (all, if no auto_map)."""
    auto_map = config.get("auto_map") or {}
    modules = {ref.split("--")[-1].rsplit(".", 1)[0] for ref in auto_map.values() if isinstance(ref, str)}
    names = sorted(f"{m}.py" for m in modules) or ["modeling_MERT.py", "configuration_MERT.py"]
    if not auto_map:
        return ["auto_map in config.json", *names]
    return [n for n in names if not os.path.isfile(os.path.join(folder, n))]


def fetch_code_files(repo_id: str) -> None:
    """Add the hub repo's ``*.py`` files to its cached snapshot (same offline rules as weights)."""
    from huggingface_hub import snapshot_download

    local_only = hub_offline() or not hub_reachable()
    try:
        snapshot_download(repo_id, allow_patterns=["*.py"], local_files_only=local_only)
    except Exception:  # hub raises many types: offline, 404, timeouts, auth
        raise missing_model_error(repo_id, "MERT", "its remote code is not in the local cache") from None


def load_feature_extractor(folder: str, config: dict[str, Any]):
    """The folder's ``Wav2Vec2FeatureExtractor``; its rate must be the model's (24 kHz)."""
    if not os.path.isfile(os.path.join(folder, "preprocessor_config.json")):
        raise ModelLoadError(f"{folder}: no preprocessor_config.json; {FOLDER_HINT}")
    from transformers import Wav2Vec2FeatureExtractor

    try:
        extractor = Wav2Vec2FeatureExtractor.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError) as err:
        raise ModelLoadError(f"{folder}: cannot read preprocessor_config.json ({type(err).__name__})") from None
    expected = config.get("sample_rate", extractor.sampling_rate)
    if int(extractor.sampling_rate) != int(expected):
        raise ModelLoadError(
            f"{folder}: preprocessor_config.json says {extractor.sampling_rate} Hz but config.json says "
            f"{expected} Hz; use the files that came with this checkpoint"
        )
    return extractor


def load_mert_model(folder: str, config: dict[str, Any], device: str, remote_code: bool):
    """The network in eval mode: ``HubertModel`` for MERT-v1, the folder's code otherwise."""
    from timbre.runtime import configure_torch

    configure_torch()
    try:
        if remote_code:
            from transformers import AutoModel

            model, info = AutoModel.from_pretrained(folder, trust_remote_code=True, local_files_only=True,
                                                    output_loading_info=True)
        else:
            from transformers import HubertConfig, HubertModel

            fields = {k: v for k, v in config.items() if k not in ("auto_map", "model_type", "architectures")}
            model, info = HubertModel.from_pretrained(folder, config=HubertConfig.from_dict(fields),
                                                      local_files_only=True, output_loading_info=True)
    except Exception as err:  # transformers raises many types for broken folders and code
        detail = " ".join(str(err).split())[:200]
        raise ModelLoadError(f"{folder}: cannot load the MERT model ({type(err).__name__}: {detail})") from None
    missing = sorted(set(info.get("missing_keys") or ()) - UNUSED_WEIGHTS)
    if missing:
        raise ModelLoadError(
            f"{folder}: the weights lack {len(missing)} tensors of this network (e.g. {missing[0]}); "
            f"the weights and config.json do not belong together"
        )
    model = model.float().eval().to(device)
    if remote_code:
        check_hidden_states(model, folder, device)
    return model


def check_hidden_states(model, folder: str, device: str) -> None:
    """Remote MERT code written for transformers 4 returns no ``hidden_states`` under 5+."""
    import torch
    import transformers

    with torch.inference_mode():
        probe = torch.zeros((1, SAMPLE_RATE // 10), device=device)
        hidden = model(probe, output_hidden_states=True).hidden_states
    if not hidden:
        raise ModelLoadError(
            f"{folder}: its remote MERT code returns no hidden states under transformers "
            f"{transformers.__version__}; use transformers<5 for this model variant"
        )

