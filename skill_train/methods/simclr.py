"""SimCLR (Chen et al., 2020): a projection MLP and the NT-Xent contrastive loss over two views.

    >>> method = SimCLR.build(setup)                 # backbone → projection MLP (2 layers, BN, ReLU)
    >>> out = method.step([x1, x2], epoch, step)     # the product's two high-res views
    >>> out.loss, out.stats["contrastive_accuracy"]

Each view's positive is the other view of the same product; every other view in the
global batch is a negative — under DDP the projections of all processes are gathered with
their gradients, so a W-process run optimises the same loss as one process with the whole
batch. Temperature 0.1 at large batches (the paper's), 0.5 for the small batches of the CPU
recipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from skill_train.methods.base import Method, MethodSetup, StepResult
from skill_train.methods.collectives import gather_with_grad
from skill_train.methods.heads import projection_mlp
from skill_train.methods.options import check_widths
from skill_train.methods.errors import MethodError
from skill_train.models.multicrop import MultiCropWrapper


@dataclass(frozen=True)
class SimCLROptions:
    """SimCLR's own options (``method_options`` in a config)."""

    temperature: float = 0.1
    proj_hidden_dim: int = 2048
    proj_dim: int = 128
    gather_negatives: bool = True

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ValueError(f"option temperature = {self.temperature!r} is not valid (expected a number > 0)")
        check_widths(self, ("proj_hidden_dim", "proj_dim"))


def nt_xent_loss(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float, gather: bool = True
) -> tuple[torch.Tensor, dict[str, float]]:
    """NT-Xent of two views' projections ``[n, d]``: mean over the 2n anchors of this process.

    Anchor ``i`` of view 1 has the positive ``i`` of view 2 (and vice versa); its negatives
    are all 2N − 2 other projections of the global batch (N = n × processes when ``gather``
    under torch.distributed). Cosine similarities divided by ``temperature``, softmax
    cross-entropy towards the positive. Returns the loss and diagnostics: mean positive and
    negative cosine, contrastive top-1 accuracy (the positive is the most similar), and the
    spread of the normalised projections (``embedding_std``: ~1 spread out, 0 collapsed).
    """
    z1 = F.normalize(z1.float(), dim=-1)
    z2 = F.normalize(z2.float(), dim=-1)
    n = z1.shape[0]
    if gather:
        all1, offset = gather_with_grad(z1)
        all2, _ = gather_with_grad(z2)
    else:
        all1, all2, offset = z1, z2, 0
    total = all1.shape[0]
    anchors = torch.cat([z1, z2])
    candidates = torch.cat([all1, all2])
    similarity = anchors @ candidates.T  # [2n, 2N] cosines

    own = torch.arange(n, device=z1.device) + offset
    self_cols = torch.cat([own, own + total])
    positive_cols = torch.cat([own + total, own])
    rows = torch.arange(2 * n, device=z1.device)
    is_self = torch.zeros_like(similarity, dtype=torch.bool)
    is_self[rows, self_cols] = True
    logits = (similarity / temperature).masked_fill(is_self, float("-inf"))
    loss = F.cross_entropy(logits, positive_cols)

    with torch.no_grad():
        positive = similarity[rows, positive_cols]
        negatives_sum = similarity.sum() - similarity[rows, self_cols].sum() - positive.sum()
        stats = {
            "positive_cosine": float(positive.mean()),
            "negative_cosine": float(negatives_sum / max(2 * n * (2 * total - 2), 1)),
            "contrastive_accuracy": float((logits.argmax(dim=1) == positive_cols).float().mean()),
            "embedding_std": float(z1.std(dim=0).mean() * math.sqrt(z1.shape[1])) if n > 1 else 0.0,
        }
    return loss, stats


class SimCLR(Method):
    """SimCLR: backbone + projection MLP, NT-Xent between a product's two high-res views."""

    name = "simclr"
    embedding_network = "student"
    uses_local_views = True  # only when the config keeps them: the recipes set n_local 0
    progress_stat = ("contrastive_accuracy", "acc")
    Options = SimCLROptions
    recipes = {
        "cpu": {
            "arch": "resnet18", "arch_overrides": {}, "drop_path_rate": 0.0, "n_local": 0,
            "base_lr": 0.002, "weight_decay": 1.0e-5, "weight_decay_end": 1.0e-5, "clip_grad": 0.0,
            "method_options": {"temperature": 0.5, "proj_hidden_dim": 512, "proj_dim": 128, "gather_negatives": True},
        },
        "paper": {
            "arch": "resnet50", "arch_overrides": {}, "drop_path_rate": 0.0, "n_local": 0,
            "base_lr": 0.001, "weight_decay": 1.0e-6, "weight_decay_end": 1.0e-6, "clip_grad": 0.0,
            "method_options": {"temperature": 0.1, "proj_hidden_dim": 2048, "proj_dim": 128, "gather_negatives": True},
        },
    }

    options: SimCLROptions

    @classmethod
    def build(cls, setup: MethodSetup) -> "SimCLR":
        """Backbone + projection MLP (``num_features → proj_hidden_dim → proj_dim``)."""
        options = cls.parse_options(setup.options)
        projector = projection_mlp(setup.backbone.num_features, options.proj_hidden_dim, options.proj_dim)
        return cls(MultiCropWrapper(setup.backbone, projector), None, options)

    def step(self, views: Sequence[torch.Tensor], epoch: int, step: int) -> StepResult:
        """NT-Xent between the two high-res views; each low-res view, if any, against both of them.

        With low-res views (multi-crop SimCLR, as in SwAV) the loss is the mean over the
        pairs (x1, x2), (y_j, x1), (y_j, x2); the diagnostics are the high-res pair's.
        """
        if len(views) < 2:
            raise MethodError(f"simclr needs the two high-res views of each product, got {len(views)} view(s)")
        z = self.forward_student(views).chunk(len(views))
        loss, stats = nt_xent_loss(z[0], z[1], self.options.temperature, gather=self.options.gather_negatives)
        if len(views) > 2:
            pair_losses = [nt_xent_loss(z[local], z[g], self.options.temperature,
                                        gather=self.options.gather_negatives)[0]
                           for local in range(2, len(views)) for g in (0, 1)]
            loss = (loss + sum(pair_losses)) / (1 + len(pair_losses))
        return StepResult(loss, stats)
