"""Projection and prediction MLPs of the contrastive and bootstrap methods (SimCLR, BYOL)."""

from __future__ import annotations

from torch import nn


def projection_mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """Linear → BatchNorm → ReLU → Linear: SimCLR's projection head, BYOL's projector and predictor."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )
