"""The MLP every method's head is made of: DINO's head, SimCLR's projection, BYOL's projector and predictor."""

from __future__ import annotations

from typing import Callable

from torch import nn


def mlp(in_dim: int, hidden_dim: int, out_dim: int, layers: int = 2, batchnorm: bool = True,
        activation: Callable[[], nn.Module] = lambda: nn.ReLU(inplace=True)) -> nn.Sequential:
    """``layers`` linear layers (in → hidden → … → out), each hidden one followed by
    [BatchNorm →] ``activation``; PyTorch's default initialisation."""
    if layers < 2:
        raise ValueError(f"an MLP needs >= 2 layers, got {layers}")
    modules: list[nn.Module] = []
    width = in_dim
    for _ in range(layers - 1):
        modules += [nn.Linear(width, hidden_dim), *([nn.BatchNorm1d(hidden_dim)] if batchnorm else []), activation()]
        width = hidden_dim
    return nn.Sequential(*modules, nn.Linear(width, out_dim))


def projection_mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """Linear → BatchNorm → ReLU → Linear: SimCLR's projection head, BYOL's projector and predictor."""
    return mlp(in_dim, hidden_dim, out_dim)
