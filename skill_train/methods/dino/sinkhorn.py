"""DINOv2's Sinkhorn-Knopp centring of the teacher's targets."""

from __future__ import annotations

import torch
import torch.distributed as dist

from skill_train.methods.collectives import all_reduce_sum, world_size


@torch.no_grad()
def sinkhorn_knopp(scores: torch.Tensor, iterations: int = 3) -> torch.Tensor:
    """DINOv2's alternative to centring: rows of ``softmax(scores)`` rebalanced so that, over the
    (global, all-reduced) batch, every prototype receives the same total mass.

    ``scores``: ``[N, K]`` logits already divided by the temperature. Returns ``[N, K]``
    distributions (each row sums to 1). Equipartition rules out the uniform and the
    one-prototype collapse by construction, which matters for short, small-data runs.
    """
    scores = scores.double()  # float32 underflows at low temperatures; float64 keeps every prototype alive
    peak = scores.max().reshape(1)
    if world_size() > 1:
        dist.all_reduce(peak, op=dist.ReduceOp.MAX)  # one shift for all ranks keeps the scaling global
    q = torch.exp(scores - peak).t()  # K x N
    n = q.shape[1] * world_size()
    k = q.shape[0]
    tiny = torch.finfo(q.dtype).tiny
    q /= all_reduce_sum(q.sum().reshape(1))[0].clamp_min(tiny)
    for _ in range(iterations):
        q /= all_reduce_sum(q.sum(dim=1, keepdim=True)).clamp_min(tiny)
        q /= k
        q /= q.sum(dim=0, keepdim=True).clamp_min(tiny)
        q /= n
    return (q * n).t().float()
