"""Multi-process training with torchrun: process group set-up, reductions, and the launcher.

    >>> ctx = setup_distributed("cpu")      # reads torchrun's RANK / WORLD_SIZE / LOCAL_RANK
    >>> ctx.is_main, ctx.world_size, ctx.device
    >>> launch_torchrun(2, ["--task", "curtains"])   # what `skill train --nproc 2` runs

Without torchrun's environment everything is a single process and no process group is
created. The backend is gloo on CPU and NCCL on CUDA.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from skill_train.models.device import resolve_device


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: its rank, the world size and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only rank that writes files and prints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when a process group with more than one process is active."""
        return self.world_size > 1


def setup_distributed(device: str = "auto") -> DistContext:
    """Join torchrun's process group when launched by it; otherwise a one-process context."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device)
    if dev.type == "cuda" and world_size > 1:
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, device=dev)


def cleanup_distributed() -> None:
    """Leave the process group, if one was joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def broadcast_object(obj: Any, ctx: DistContext) -> Any:
    """Rank 0's ``obj`` on every rank (e.g. the run folder chosen from a timestamp)."""
    if not ctx.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(ctx: DistContext) -> None:
    """Wait for every rank (no-op with one process)."""
    if ctx.distributed:
        dist.barrier()


def torchrun_command(nproc: int, train_args: list[str]) -> list[str]:
    """``python -m torch.distributed.run --standalone --nproc_per_node N -m skill_train train ARGS``."""
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        "--nproc_per_node", str(nproc), "-m", "skill_train", "train", *train_args,
    ]


def launch_torchrun(nproc: int, train_args: list[str]) -> int:
    """Run ``skill train ARGS`` under torchrun with ``nproc`` processes; returns its exit code."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.run(torchrun_command(nproc, train_args), env=env, check=False).returncode
