"""The multi-crop wrapper: a backbone and a head applied to a list of views of mixed sizes.

    >>> student = MultiCropWrapper(backbone, head)
    >>> logits = student([g1, g2, l1, l2, l3])      # views of one resolution run as one batch
"""

from __future__ import annotations

import torch
from torch import nn


class MultiCropWrapper(nn.Module):
    """Backbone + head over a list of views: consecutive views of one resolution share one forward.

    ``forward(views)`` returns the head's logits for all views concatenated in order
    (``[sum of batch sizes, out_dim]``); with DINO's ordering (two high-res views, then
    the low-res ones) that is two backbone passes, whatever the number of local crops.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, views: list[torch.Tensor] | torch.Tensor,
                return_features: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits for every view, in the order given; with ``return_features`` also the backbone's features."""
        if isinstance(views, torch.Tensor):
            views = [views]
        features = []
        start = 0
        while start < len(views):
            end = start + 1
            while end < len(views) and views[end].shape[-2:] == views[start].shape[-2:]:
                end += 1
            features.append(self.backbone(torch.cat(views[start:end])))
            start = end
        feats = torch.cat(features)
        logits = self.head(feats)
        return (logits, feats) if return_features else logits
