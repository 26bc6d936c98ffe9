"""The optimiser's parameter groups (DINO's weight-decay rule)."""

from __future__ import annotations

from typing import Any

from torch import nn


def parameter_groups(model: nn.Module) -> list[dict[str, Any]]:
    """AdamW groups: weight decay on weight matrices, none on biases and 1-D params (DINO's rule).

    The first group is the regularised one, so a weight-decay schedule writes to group 0.
    """
    regularized, not_regularized = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.endswith(".bias") or param.ndim <= 1:
            not_regularized.append(param)
        else:
            regularized.append(param)
    return [{"params": regularized}, {"params": not_regularized, "weight_decay": 0.0}]
