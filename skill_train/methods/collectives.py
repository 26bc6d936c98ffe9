"""The collectives the methods' losses use: world size, all-reduce, and an all-gather that keeps gradients.

The all-gather serves losses whose negatives come from every process (SimCLR) and the
KoLeo regulariser over the global batch (DINO).

``torch.distributed.all_gather`` returns tensors without autograd history, and
``torch.distributed.nn``'s differentiable version needs reduce-scatter or all-to-all, which
gloo (CPU) lacks. Here the backward pass all-reduces the gradient of the gathered tensor and
keeps this process's rows: the sum over processes of their losses' gradients with respect to
this process's samples. DDP then averages parameter gradients over processes, so a run on W
processes gets the gradient of the global mean loss, as one process with the whole batch would.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist


def _world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def world_size() -> int:
    """Processes in the group (1 without ``torch.distributed``)."""
    return _world()[1]


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` summed over processes, in place (unchanged with one process)."""
    if world_size() > 1:
        dist.all_reduce(tensor)
    return tensor


class _GatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        rank, world = _world()
        ctx.rank, ctx.rows = rank, tensor.shape[0]
        parts = [torch.empty_like(tensor) for _ in range(world)]
        dist.all_gather(parts, tensor.contiguous())
        parts[rank] = tensor  # this process's rows, as given
        return torch.cat(parts)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def gather_with_grad(tensor: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``tensor`` ([n, ...], the same n on every process) from all processes, concatenated in rank order.

    Returns the gathered tensor and the row where this process's block starts; without a
    process group (or with one process) that is ``(tensor, 0)``.
    """
    rank, world = _world()
    if world == 1:
        return tensor, 0
    return _GatherWithGrad.apply(tensor), rank * tensor.shape[0]
