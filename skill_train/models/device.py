"""Which device a model runs on: ``auto`` picks CUDA when there is one."""

from __future__ import annotations

import torch

from skill_aug.errors import SkillAugError


class DeviceError(SkillAugError):
    """A ``--device`` value that is not a device, or names CUDA on a machine without it."""


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU or a malformed name is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as err:
        raise DeviceError(f"--device {device!r} is not a device (cpu, cuda, cuda:N or auto)") from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"--device {device}: no CUDA device is available here (use --device cpu)")
    return resolved


def peak_gpu_memory_gib(device: torch.device) -> float | None:
    """The most GPU memory this process has allocated on ``device`` since its last reset, in GiB;
    ``None`` off CUDA."""
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
