"""DINO's projection head: an MLP to an L2-normalised bottleneck, then weight-normalised prototypes.

    >>> head = DINOHead(backbone.num_features, out_dim=4096)
    >>> logits = head(features)                       # [N, 4096] prototype logits
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from skill_train.methods.heads import mlp


class DINOHead(nn.Module):
    """DINO's projection head: MLP → L2-normalised bottleneck → weight-normalised prototypes.

    ``nlayers`` linear layers (in → hidden → … → bottleneck) with GELU between them, then
    ``last_layer``: a bias-free linear map to ``out_dim`` prototypes, weight-normalised with
    its gain ``g`` initialised to 1 and frozen when ``norm_last_layer`` (DINO's default;
    ``False`` lets the prototype norms learn, which DINO recommends for ViT-S). ``use_bn``
    puts BatchNorm after each hidden layer (DINO's ``--use_bn_in_head``): the batch's
    variation is rescaled to unit variance, so the head cannot drift to a constant output.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden_dim: int = 2048,
        bottleneck_dim: int = 256,
        nlayers: int = 3,
        norm_last_layer: bool = True,
        use_bn: bool = False,
    ):
        super().__init__()
        nlayers = max(nlayers, 1)
        if nlayers == 1:
            self.mlp: nn.Module = nn.Linear(in_dim, bottleneck_dim)
        else:
            self.mlp = mlp(in_dim, hidden_dim, bottleneck_dim, nlayers, batchnorm=use_bn, activation=nn.GELU)
        self.apply(self._init_weights)
        self.last_layer = weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        gain = self.last_layer.parametrizations.weight.original0
        with torch.no_grad():
            gain.fill_(1.0)
        gain.requires_grad = not norm_last_layer

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_dim]`` features → ``[N, out_dim]`` prototype logits."""
        x = self.mlp(x)
        x = F.normalize(x, dim=-1, p=2)
        return self.last_layer(x)
