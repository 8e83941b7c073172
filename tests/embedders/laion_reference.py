"""Run LAION's own CLAP code (``laion-clap``, installed ``--no-deps`` into a separate target).

Used by ``test_clap_laion.py`` in a subprocess, never imported by the project::

    python laion_reference.py TARGET build OUT.pt --amodel HTSAT-tiny [--fusion]
    python laion_reference.py TARGET embed OUT.pt CLIPS.npz EMB.npy --amodel HTSAT-tiny [--fusion]

``build`` creates a CLAP with LAION's model code (the real HTSAT config; a one-layer RoBERTa
instead of the downloaded ``roberta-base``), trains it for one step and saves it exactly as
LAION's ``training/main.py`` does: ``{"epoch", "name", "state_dict" (DDP "module." prefix),
"optimizer" (lr set by LAION's cosine schedule: numpy float64), "scaler"}``. ``embed`` loads
that file with ``CLAP_Module.load_ckpt`` and writes ``get_audio_embedding_from_data``.
Modules that ``laion_clap`` imports at module level but never uses here (torchvision,
webdataset, h5py, ...) are stubbed; everything on the audio path (torchlibrosa, librosa's
filters, torchaudio's MelSpectrogram) is the real package.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import sys
import types

import numpy as np

STUBBED = ["torchvision", "torchvision.datasets", "torchvision.transforms", "torchvision.ops",
           "torchvision.ops.misc", "webdataset", "h5py", "braceexpand", "wget", "ftfy",
           "sklearn", "sklearn.metrics"]


def install_stubs() -> None:
    """Empty modules whose attributes are dummies (only referenced, never called here)."""
    class Dummy:
        def __init__(self, *args, **kwargs):
            pass

    def getattr_dummy(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Dummy

    import transformers  # before the stubs: it probes for torchvision itself

    for name in STUBBED:
        module = types.ModuleType(name)
        module.__getattr__ = getattr_dummy
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module

    for cls in (transformers.BertTokenizer, transformers.RobertaTokenizer, transformers.BartTokenizer):
        cls.from_pretrained = classmethod(lambda cls, *a, **k: None)  # no network: text is not compared
    tiny_text = transformers.RobertaConfig(vocab_size=300, hidden_size=768, num_hidden_layers=1,
                                           num_attention_heads=12, intermediate_size=64,
                                           max_position_embeddings=80)
    transformers.RobertaModel.from_pretrained = classmethod(lambda cls, *a, **k: cls(tiny_text))


def make_module(amodel: str, fusion: bool):
    import laion_clap

    return laion_clap.CLAP_Module(enable_fusion=fusion, device="cpu", amodel=amodel, tmodel="roberta")


def build(path: str, amodel: str, fusion: bool) -> None:
    import torch
    from laion_clap.training.scheduler import cosine_lr

    torch.manual_seed(0)
    clap = make_module(amodel, fusion)
    model = clap.model
    bn0 = model.audio_branch.bn0  # realistic log-mel statistics, so every dB of the input counts
    bn0.running_mean.uniform_(-60.0, -20.0)
    bn0.running_var.uniform_(100.0, 400.0)
    # LAION's parameter groups and AdamW; one step on the logit scales fills the optimizer state.
    exclude = lambda n: "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n  # noqa: E731
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW([
        {"params": [p for n, p in named if exclude(n)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not exclude(n)], "weight_decay": 0.2},
    ], lr=1e-4, betas=(0.9, 0.99), eps=1e-9)
    scheduler = cosine_lr(optimizer, 1e-4, 10, 100)
    scaler = torch.amp.GradScaler("cpu")
    scheduler(57)  # lr = 0.5 * (1 + np.cos(...)) * base_lr: a numpy float64 in the state
    scaler.scale(model.logit_scale_a * 1.0 + model.logit_scale_t * 1.0).backward()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad()
    state = {f"module.{k}": v for k, v in model.state_dict().items()}
    # Checkpoints of transformers < 4.31 hold this buffer (LAION's load_ckpt deletes it).
    state["module.text_branch.embeddings.position_ids"] = torch.arange(80).expand((1, -1))
    checkpoint = {"epoch": 15, "name": f"timbre-test-{amodel}", "state_dict": state,
                  "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict()}
    assert isinstance(checkpoint["optimizer"]["param_groups"][0]["lr"], np.float64)
    torch.save(checkpoint, path)


def embed(path: str, clips_path: str, out_path: str, amodel: str, fusion: bool) -> None:
    import torch

    torch.manual_seed(1)  # different init: every used weight must come from the file
    clap = make_module(amodel, fusion)
    clap.load_ckpt(path, verbose=False)
    clips = np.load(clips_path)
    batch = [clips[name] for name in sorted(clips.files)]
    with torch.no_grad():
        vectors = clap.get_audio_embedding_from_data(batch)
    np.save(out_path, np.asarray(vectors, dtype=np.float32))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("action", choices=["build", "embed"])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--amodel", default="HTSAT-tiny")
    parser.add_argument("--fusion", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, args.target)
    install_stubs()
    if args.action == "build":
        build(args.paths[0], args.amodel, args.fusion)
    else:
        embed(*args.paths[:3], args.amodel, args.fusion)


if __name__ == "__main__":
    main()
