"""CLAP's text side: the RoBERTa tokenizer, its length limit, and a check of the text tower.

``laion/larger_clap_music`` (the default: the better audio model for synth presets) has a
collapsed text tower: unrelated prompts give near-identical vectors (mean pairwise cosine
0.999), so a text query would rank by noise. Audio and text must come from the same
checkpoint, so the first text query embeds a few unrelated prompts and refuses, naming
checkpoints whose text tower works, when they are that close.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from timbre.errors import ModelLoadError

#: Published checkpoints with a working text tower (mean pairwise cosine 0.18 / 0.29 on such prompts).
WORKING_TEXT_MODELS = ("laion/larger_clap_general", "laion/clap-htsat-unfused")
PROBE_PROMPTS = (
    "a dog barking in the distance",
    "heavy distorted electric guitar riff",
    "soft rain on a window at night",
    "a bright plucked synth lead",
    "people talking in a crowded restaurant",
    "deep sub bass drone",
)
#: Mean pairwise cosine above which the text tower is considered collapsed.
COLLAPSED_COSINE = 0.98
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
VOCAB_FILES = ("vocab.json", "merges.txt")


def check_text_tower(embed: Callable[[Sequence[str]], np.ndarray], model_ref: str) -> float:
    """Mean pairwise cosine of ``PROBE_PROMPTS``; raises when the tower is collapsed."""
    vectors = np.asarray(embed(list(PROBE_PROMPTS)), dtype=np.float64)
    sims = vectors @ vectors.T
    n = len(vectors)
    mean = float((sims.sum() - np.trace(sims)) / (n * (n - 1)))
    if mean > COLLAPSED_COSINE:
        raise ModelLoadError(
            f"CLAP model '{model_ref}' has a collapsed text tower (unrelated prompts give near-identical "
            f"vectors, mean cosine {mean:.3f}), so text search would rank by noise; for text queries index "
            f"with --embedder clap --model {WORKING_TEXT_MODELS[0]} (or {WORKING_TEXT_MODELS[1]})"
        )
    return mean


def load_tokenizer(folder: str, vocab_size: int):
    """Tokenizer from ``folder`` only (never a hub fallback), sized like the text tower.

    A transformers tokenizer folder (``tokenizer.json`` / ``tokenizer_config.json``) or a bare
    RoBERTa one (``vocab.json`` + ``merges.txt``, as LAION's ``roberta-base`` files are)."""
    has = {name: os.path.isfile(os.path.join(folder, name)) for name in TOKENIZER_FILES + VOCAB_FILES}
    if not any(has[name] for name in TOKENIZER_FILES) and not all(has[name] for name in VOCAB_FILES):
        raise ModelLoadError(
            f"{folder}: no tokenizer files, so text queries are impossible; pass tokenizer=/folder "
            f"holding the RoBERTa tokenizer (vocab.json + merges.txt) of this CLAP model"
        )
    try:
        if any(has[name] for name in TOKENIZER_FILES):
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        else:
            from transformers import RobertaTokenizer  # no config to tell AutoTokenizer the class

            tokenizer = RobertaTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelLoadError(f"{folder}: cannot load the tokenizer ({first_line(err)})") from None
    size = len(tokenizer)
    if size > vocab_size or size < 0.9 * vocab_size:
        raise ModelLoadError(
            f"{folder}: tokenizer has {size} tokens but the CLAP text tower expects {vocab_size}; "
            f"use the tokenizer files that came with this checkpoint"
        )
    return tokenizer


def token_limit(tokenizer: Any, text_config: Any) -> int:
    """Longest token sequence the text tower takes: its position table (RoBERTa positions
    start after the padding index) or the tokenizer's limit, whichever is smaller; a
    tokenizer without a limit (``model_max_length`` 1e30) does not lift the model's."""
    positions = int(text_config.max_position_embeddings) - int(getattr(text_config, "pad_token_id", 1) or 0) - 1
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 0 < declared < positions:
        return declared
    return positions


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), for one-line errors."""
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
