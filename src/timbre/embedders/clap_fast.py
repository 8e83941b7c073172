"""A leaner forward for the Swin blocks of CLAP's HTSAT audio tower, same weights, same numbers.

transformers' ``ClapAudioLayer`` rolls, partitions and un-partitions the token grid with
separate copies, runs three query/key/value matmuls, gathers the relative-position bias
and rebuilds the shifted-window mask on every call, and computes attention in eager steps:
about half of the CPU time goes to copies and small element-wise ops. Here each block gets

* one gather that is the roll + window partition (and one for the way back),
* one fused query/key/value matmul,
* ``scaled_dot_product_attention`` with the bias and the shift mask precomputed once.

Each block is checked against its own transformers forward on random input when it is
swapped (a transformers version that computes something else keeps its own forward), and
inputs the fast path does not cover (another grid size, attention outputs) go to the
original forward.
"""

from __future__ import annotations

import types
from typing import Any

#: Largest deviation from transformers' block output accepted by the swap check.
CHECK_ATOL = 1e-4


def speed_up_audio_tower(model: Any) -> int:
    """Swap the forward of every HTSAT block of ``model`` (a ``ClapModel``); returns how many."""
    import torch

    encoder = model.audio_model.audio_encoder
    swapped = 0
    for resolution, stage in zip(encoder.input_resolutions, encoder.layers):
        for position, block in enumerate(stage.blocks):
            fast = FastBlock.build(block, tuple(resolution))
            if fast is None:
                continue
            # The blocks of a stage differ only in weights and shift: check a plain and a shifted one.
            if position < 2 and not fast.matches_original(torch.Generator().manual_seed(position)):
                return swapped
            block.forward = types.MethodType(fast.forward, block)
            swapped += 1
    return swapped


class FastBlock:
    """Precomputed gathers, fused qkv and attention bias of one ``ClapAudioLayer``."""

    def __init__(self, block: Any, resolution: tuple[int, int], window: int, shift: int):
        import torch

        self.block, self.resolution, self.window = block, resolution, window
        self.original = block.forward
        self_attention = block.attention.self
        self.heads = self_attention.num_attention_heads
        weight = block.layernorm_before.weight
        device, dtype = weight.device, weight.dtype
        with torch.no_grad():
            self.qkv_weight = torch.cat([self_attention.query.weight, self_attention.key.weight,
                                         self_attention.value.weight]).detach()
            biases = [self_attention.query.bias, self_attention.key.bias, self_attention.value.bias]
            self.qkv_bias = None if biases[0] is None else torch.cat(biases).detach()
            self.order = window_order(resolution, window, shift).to(device)
            self.back = torch.argsort(self.order)
            self.bias = attention_bias(block, resolution, window, shift, device, dtype)

    @classmethod
    def build(cls, block: Any, resolution: tuple[int, int]) -> "FastBlock | None":
        """As transformers sizes it: a grid no larger than a window is one unshifted window."""
        window, shift = int(block.window_size), int(block.shift_size)
        if min(resolution) <= window:
            window, shift = min(resolution), 0
        if resolution[0] % window or resolution[1] % window:
            return None  # padded grids: not used by HTSAT, left to transformers
        return cls(block, resolution, window, shift)

    def forward(self, block: Any, hidden_states, input_dimensions, output_attentions=False,
                always_partition=False):
        """``ClapAudioLayer.forward`` (bound to the block); returns ``(hidden_states,)``."""
        import torch.nn.functional as F

        if output_attentions or always_partition or tuple(input_dimensions) != self.resolution:
            return self.original(hidden_states, input_dimensions, output_attentions, always_partition)
        batch, tokens, channels = hidden_states.shape
        length = self.window * self.window
        windows = block.layernorm_before(hidden_states).index_select(1, self.order)
        qkv = F.linear(windows, self.qkv_weight, self.qkv_bias)
        qkv = qkv.view(batch, tokens // length, length, 3, self.heads, channels // self.heads)
        # Windows x heads as one axis: the bias broadcasts over the batch, which keeps CPU
        # attention on its fused kernel (a 5-d broadcast falls back to the slow path).
        qkv = qkv.permute(3, 0, 1, 4, 2, 5).reshape(3, batch, -1, length, channels // self.heads)
        context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=self.bias)
        context = context.view(batch, tokens // length, self.heads, length, -1).transpose(2, 3)
        context = context.reshape(batch, tokens, channels)
        attended = block.attention.output.dense(context).index_select(1, self.back)
        hidden_states = hidden_states + attended
        return (hidden_states + block.output(block.intermediate(block.layernorm_after(hidden_states))),)

    def matches_original(self, generator) -> bool:
        """The fast forward equals transformers' on a random grid (in eval mode)."""
        import torch

        weight = self.block.layernorm_before.weight
        channels = weight.shape[0]
        probe = torch.randn((1, self.resolution[0] * self.resolution[1], channels), generator=generator)
        probe = probe.to(weight.device, weight.dtype)
        with torch.inference_mode():
            expected = self.original(probe, self.resolution)[0]
            got = self.forward(self.block, probe, self.resolution)[0]
        return bool(torch.allclose(got, expected, atol=CHECK_ATOL, rtol=0))


def window_order(resolution: tuple[int, int], window: int, shift: int):
    """Token indices of the rolled grid, window by window (roll + ``window_partition``)."""
    import torch

    height, width = resolution
    grid = torch.arange(height * width).view(height, width)
    if shift:
        grid = torch.roll(grid, shifts=(-shift, -shift), dims=(0, 1))
    grid = grid.view(height // window, window, width // window, window).permute(0, 2, 1, 3)
    return grid.reshape(-1)


def attention_bias(block: Any, resolution: tuple[int, int], window: int, shift: int, device, dtype):
    """Relative-position bias plus the shifted-window mask: ``(1, windows x heads, L, L)``."""
    self_attention = block.attention.self
    length = window * window
    table = self_attention.relative_position_bias_table
    index = self_attention.relative_position_index.view(-1)
    bias = table[index].view(length, length, -1).permute(2, 0, 1).unsqueeze(0)
    if shift:
        saved = block.shift_size, block.window_size
        block.shift_size, block.window_size = shift, window
        mask = block.get_attn_mask(resolution[0], resolution[1], dtype=dtype, device=device)
        block.shift_size, block.window_size = saved
        bias = bias + mask.unsqueeze(1)
    windows = (resolution[0] // window) * (resolution[1] // window)
    bias = bias.expand(windows, -1, -1, -1).reshape(1, -1, length, length)
    return bias.to(device, dtype).contiguous()
