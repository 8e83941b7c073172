"""Convert an original LAION-CLAP checkpoint (``*.pt``) to a transformers ``ClapModel`` folder.

The key mapping follows transformers' ``convert_clap_original_pytorch_to_hf.py``
(``text_branch`` -> ``text_model``, ``audio_branch`` -> ``audio_model.audio_encoder``, fused
``qkv`` split into query/key/value, ``*_projection.0/2`` -> ``linear1/2``), without importing
``laion_clap``: the model shape (HTSAT width, depths, heads, fusion, RoBERTa size) is read
from the tensor shapes. LAION-only tensors (its STFT/mel front end, the AudioSet head, the
training-time ``*_transform`` MLPs, cached attention masks) are dropped; any transformers
weight that stays unfilled is an error, so a wrong checkpoint never loads half-random.
A ``.pt`` has no tokenizer: the folder supports text only if tokenizer files are added.
The folder's ``preprocessor_config.json`` carries LAION's mel settings (50 Hz - 14 kHz), and
its marker the checkpoint's hash, ``CONVERTER_VERSION`` and those settings: a folder written
by another converter version is converted again.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from timbre.embedders.clap_features import LAION_FEATURES, extractor_kwargs, feature_settings
from timbre.embedders.hub import cache_dir, file_sha256, read_torch_checkpoint
from timbre.errors import ModelLoadError

KEYS_TO_MODIFY = {
    "text_branch": "text_model",
    "audio_branch": "audio_model.audio_encoder",
    "attn": "attention.self",
    "self.proj": "output.dense",
    "attention.self_mask": "attn_mask",
    "mlp.fc1": "intermediate.dense",
    "mlp.fc2": "output.dense",
    "norm1": "layernorm_before",
    "norm2": "layernorm_after",
    "bn0": "batch_norm",
}
#: LAION tensors with no transformers counterpart.
DROPPED = re.compile(
    r"(spectrogram_extractor|logmel_extractor|tscam_conv|audio_encoder\.head\.|"
    r"^(audio|text)_transform\.|attn_mask$|position_ids$|token_type_ids$)"
)
PROJECTION = re.compile(r"^(audio|text)_projection\.(\d+)\.")
SOURCE_MARKER = "timbre-source.json"
#: Bump when the written folder changes; older conversions are redone. 2: 50-Hz mel floor.
CONVERTER_VERSION = 2


def laion_state_dict(path: str) -> dict[str, Any]:
    """The tensors of a LAION checkpoint, ``module.`` prefix removed."""
    if not os.path.isfile(path):
        raise ModelLoadError(f"{path}: checkpoint not found; pass an existing LAION-CLAP .pt file")
    checkpoint = read_torch_checkpoint(path, "pass an original LAION-CLAP .pt file")
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not any("audio_branch" in k for k in state):
        raise ModelLoadError(f"{path}: no LAION-CLAP 'audio_branch' weights found; "
                             f"pass an original LAION-CLAP .pt or a transformers folder")
    return {k.removeprefix("module."): v for k, v in state.items()}


def rename_laion_key(key: str) -> str:
    """Map one LAION key to the transformers name (``qkv`` is split by the caller)."""
    for old, new in KEYS_TO_MODIFY.items():
        key = key.replace(old, new)
    match = PROJECTION.match(key)
    if match:
        linear = 1 if match.group(2) == "0" else 2
        key = PROJECTION.sub(f"{match.group(1)}_projection.linear{linear}.", key)
    return key


def rename_laion_state_dict(state: dict[str, Any]) -> dict[str, Any]:
    """LAION layout -> transformers ``ClapModel`` layout, LAION-only tensors dropped."""
    renamed: dict[str, Any] = {}
    for key, value in state.items():
        new_key = rename_laion_key(key)
        if DROPPED.search(new_key):
            continue
        if ".qkv." in new_key:
            query, key_part, value_part = value.chunk(3, dim=0)
            for name, part in (("query", query), ("key", key_part), ("value", value_part)):
                renamed[new_key.replace(".qkv.", f".{name}.")] = part.clone()
        else:
            renamed[new_key] = value
    return renamed


def config_from_state_dict(state: dict[str, Any]):
    """A ``ClapConfig`` whose shapes match a renamed (transformers-layout) state dict."""
    from transformers import ClapConfig

    audio = "audio_model.audio_encoder."
    depths = _count_blocks(state, audio)
    heads = [state[f"{audio}layers.{i}.blocks.0.attention.self.relative_position_bias_table"].shape[1]
             for i in range(len(depths))]
    table = state[f"{audio}layers.0.blocks.0.attention.self.relative_position_bias_table"].shape[0]
    fusion = any(".fusion_model." in k for k in state)
    audio_config = {
        "patch_embeds_hidden_size": state[f"{audio}patch_embed.proj.weight"].shape[0],
        "depths": depths,
        "num_attention_heads": heads,
        "window_size": (int(round(table ** 0.5)) + 1) // 2,
        "hidden_size": state["audio_projection.linear1.weight"].shape[1],
        "enable_fusion": fusion,
        "fusion_type": "aff_2d" if fusion else None,
    }
    return ClapConfig(
        audio_config=audio_config,
        text_config=_text_config(state),
        projection_dim=state["audio_projection.linear2.weight"].shape[0],
    )


def _count_blocks(state: dict[str, Any], prefix: str) -> list[int]:
    blocks: dict[int, set[int]] = {}
    for key in state:
        match = re.match(re.escape(prefix) + r"layers\.(\d+)\.blocks\.(\d+)\.", key)
        if match:
            blocks.setdefault(int(match.group(1)), set()).add(int(match.group(2)))
    return [len(blocks[i]) for i in sorted(blocks)]


def _text_config(state: dict[str, Any]) -> dict[str, Any]:
    words = state["text_model.embeddings.word_embeddings.weight"]
    layers = {int(m.group(1)) for k in state if (m := re.match(r"text_model\.encoder\.layer\.(\d+)\.", k))}
    hidden = words.shape[1]
    return {
        "vocab_size": words.shape[0],
        "hidden_size": hidden,
        "num_hidden_layers": len(layers),
        # Not recoverable from shapes; RoBERTa uses 64-d heads.
        "num_attention_heads": max(1, hidden // 64),
        "intermediate_size": state["text_model.encoder.layer.0.intermediate.dense.weight"].shape[0],
        "max_position_embeddings": state["text_model.embeddings.position_embeddings.weight"].shape[0],
        "type_vocab_size": state["text_model.embeddings.token_type_embeddings.weight"].shape[0],
    }


def build_model(state: dict[str, Any], config=None):
    """A ``ClapModel`` holding exactly the renamed weights (errors on missing/mis-shaped ones)."""
    from transformers import ClapModel

    config = config or config_from_state_dict(state)
    model = ClapModel(config).eval()
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not _is_derived_buffer(k)]
    if missing:
        raise ModelLoadError(f"LAION checkpoint lacks {len(missing)} weights the CLAP model needs "
                             f"(first: {missing[0]}); is it a CLAP (HTSAT+RoBERTa) checkpoint?")
    usable = {k: v for k, v in state.items() if k in expected}
    try:
        model.load_state_dict(usable, strict=False)
    except RuntimeError as err:
        raise ModelLoadError(f"LAION checkpoint shapes do not fit the inferred CLAP config: "
                             f"{str(err).splitlines()[-1].strip()}") from None
    return model


def _is_derived_buffer(key: str) -> bool:
    """Buffers transformers rebuilds itself (absent from some LAION checkpoints)."""
    return key.endswith(("position_ids", "token_type_ids", "relative_position_index", "num_batches_tracked"))


def convert_laion_checkpoint(src: str, out_dir: str) -> str:
    """Write a transformers CLAP folder (config, safetensors, feature extractor) for ``src``."""
    from transformers import ClapFeatureExtractor

    model = build_model(rename_laion_state_dict(laion_state_dict(src)))
    fusion = bool(model.config.audio_config.enable_fusion)
    tmp_dir = f"{out_dir.rstrip(os.sep)}.tmp-{os.getpid()}"
    model.save_pretrained(tmp_dir, safe_serialization=True)
    ClapFeatureExtractor(**extractor_kwargs(LAION_FEATURES, fusion)).save_pretrained(tmp_dir)
    source = {"source": os.path.realpath(src), "sha256": file_sha256(src),
              "converter_version": CONVERTER_VERSION, "features": feature_settings(tmp_dir, fusion)}
    with open(os.path.join(tmp_dir, SOURCE_MARKER), "w", encoding="utf-8") as handle:
        json.dump(source, handle, indent=2)
    if os.path.isdir(out_dir):
        import shutil

        shutil.rmtree(out_dir)
    os.replace(tmp_dir, out_dir)
    return out_dir


def _is_current(folder: str, digest: str) -> bool:
    """The folder holds this checkpoint, converted by this converter version."""
    try:
        with open(os.path.join(folder, SOURCE_MARKER), encoding="utf-8") as handle:
            marker = json.load(handle)
    except (OSError, ValueError):
        return False
    return marker.get("sha256") == digest and marker.get("converter_version") == CONVERTER_VERSION


def converted_folder(src: str) -> str:
    """Transformers folder for LAION checkpoint ``src``, converting it on first use.

    Cached next to the checkpoint (``<name>.hf/``) when that folder is writable, else under
    ``~/.cache/timbre/clap-converted/``; reconverted when the checkpoint's content or the
    converter version changes.
    """
    if not os.path.isfile(src):
        raise ModelLoadError(f"{src}: checkpoint not found; pass an existing LAION-CLAP .pt file")
    digest = file_sha256(src)
    for folder in _candidate_folders(src, digest):
        if _is_current(folder, digest):
            return folder
    for folder in _candidate_folders(src, digest):
        try:
            os.makedirs(os.path.dirname(folder) or ".", exist_ok=True)
            return convert_laion_checkpoint(src, folder)
        except OSError:
            continue
    raise ModelLoadError(f"{src}: cannot write the converted model anywhere; "
                         f"run `timbre models convert {src} OUT_DIR` and pass --model OUT_DIR")


def _candidate_folders(src: str, digest: str) -> list[str]:
    base = os.path.splitext(os.path.basename(src))[0]
    beside = os.path.join(os.path.dirname(os.path.abspath(src)), f"{base}.hf")
    cached = os.path.join(cache_dir(), "clap-converted", f"{base}-{digest[:12]}")
    return [beside, cached]
