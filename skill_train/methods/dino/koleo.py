"""DINOv2's KoLeo regulariser: spreads a batch's features over the sphere."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def koleo_loss(features: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """The Kozachenko-Leonenko entropy regulariser of DINOv2: ``-mean(log d_nn)`` of L2-normalised rows.

    ``d_nn`` is each row's distance to its nearest other row in the batch. Minimising it
    spreads the batch's features over the sphere, so the network cannot map every image to
    one point (the uniform solution of DINO's loss on small data).
    """
    if features.shape[0] < 2:
        return features.new_zeros(())
    x = F.normalize(features.float(), dim=-1, p=2)
    similarity = x @ x.t()
    similarity.fill_diagonal_(-2.0)  # a row is not its own neighbour
    nearest = similarity.argmax(dim=1)
    distance = (x - x[nearest]).norm(dim=-1)
    return -torch.log(distance + eps).mean()
