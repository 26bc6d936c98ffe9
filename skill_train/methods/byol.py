"""BYOL (Grill et al., 2020): online network with a predictor, EMA target, normalised-MSE loss.

    >>> method = BYOL.build(setup)        # online: backbone → projector → predictor; target: backbone → projector
    >>> out = method.step([x1, x2], epoch, step)
    >>> method.after_optimizer_step(epoch, step)   # target ← τ·target + (1 − τ)·online, τ cosine 0.996 → 1

The loss is symmetrised: the online prediction of view 1 regresses the target projection of
view 2 and vice versa, each term ``‖p̄ − z̄′‖² = 2 − 2·cos(p, z′)``, summed (the paper's
L + L̃) and averaged over the batch. The exported embedding is the online backbone (the
paper keeps the online encoder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from skill_train.methods.base import Method, MethodSetup, StepResult
from skill_train.methods.heads import projection_mlp
from skill_train.methods.options import check_widths
from skill_train.methods.errors import MethodError
from skill_train.models.ema import ema_update
from skill_train.models.multicrop import MultiCropWrapper
from skill_train.schedules import cosine_schedule


@dataclass(frozen=True)
class BYOLOptions:
    """BYOL's own options (``method_options``); the base momentum is the config's ``momentum_teacher``."""

    proj_hidden_dim: int = 4096
    proj_dim: int = 256
    pred_hidden_dim: int = 4096

    def __post_init__(self) -> None:
        check_widths(self, ("proj_hidden_dim", "proj_dim", "pred_hidden_dim"))


def byol_loss(p1: torch.Tensor, p2: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Batch mean of ``‖p̄₁ − z̄₂‖² + ‖p̄₂ − z̄₁‖²`` (bars: L2-normalised); targets get no gradient."""

    def normalised_mse(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return (F.normalize(p.float(), dim=-1) - F.normalize(z.detach().float(), dim=-1)).pow(2).sum(dim=-1)

    return (normalised_mse(p1, z2) + normalised_mse(p2, z1)).mean()


def momentum_schedule(base: float, epochs: int, steps_per_epoch: int) -> np.ndarray:
    """BYOL's τ_k = 1 − (1 − τ_base)·(cos(πk/K) + 1)/2 for each optimiser step k of K."""
    return cosine_schedule(base, 1.0, epochs, steps_per_epoch)


class ProjectorPredictor(nn.Module):
    """The online head: the projector (mirrored by the target) followed by the predictor."""

    def __init__(self, projector: nn.Module, predictor: nn.Module):
        super().__init__()
        self.projector = projector
        self.predictor = predictor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predictions ``q(g(x))``."""
        return self.predictor(self.projector(x))


class BYOL(Method):
    """BYOL: the online network predicts the EMA target's projection of the other view."""

    name = "byol"
    embedding_network = "student"
    uses_local_views = True  # only when the config keeps them: the recipes set n_local 0
    progress_stat = ("momentum", "τ")
    Options = BYOLOptions
    recipes = {
        "cpu": {
            "arch": "resnet18", "arch_overrides": {}, "drop_path_rate": 0.0, "n_local": 0,
            "base_lr": 0.002, "weight_decay": 1.0e-5, "weight_decay_end": 1.0e-5, "clip_grad": 0.0,
            "momentum_teacher": 0.996,
            "method_options": {"proj_hidden_dim": 1024, "proj_dim": 128, "pred_hidden_dim": 1024},
        },
        "paper": {
            "arch": "resnet50", "arch_overrides": {}, "drop_path_rate": 0.0, "n_local": 0,
            "base_lr": 0.001, "weight_decay": 1.5e-6, "weight_decay_end": 1.5e-6, "clip_grad": 0.0,
            "momentum_teacher": 0.996,
            "method_options": {"proj_hidden_dim": 4096, "proj_dim": 256, "pred_hidden_dim": 4096},
        },
    }

    options: BYOLOptions

    def __init__(self, student: nn.Module, teacher: nn.Module, options: BYOLOptions, momentum: np.ndarray):
        super().__init__(student, teacher, options)
        self.momentum_schedule = momentum

    @classmethod
    def build(cls, setup: MethodSetup) -> "BYOL":
        """Online (backbone, projector, predictor) and target (a copy of backbone and projector)."""
        options = cls.parse_options(setup.options)
        dim = setup.backbone.num_features
        head = ProjectorPredictor(
            projection_mlp(dim, options.proj_hidden_dim, options.proj_dim),
            projection_mlp(options.proj_dim, options.pred_hidden_dim, options.proj_dim),
        )
        online = MultiCropWrapper(setup.backbone, head)
        target = MultiCropWrapper(setup.make_backbone(), projection_mlp(dim, options.proj_hidden_dim, options.proj_dim))
        target.backbone.load_state_dict(online.backbone.state_dict())
        target.head.load_state_dict(head.projector.state_dict())
        schedule = momentum_schedule(setup.cfg.momentum_teacher, setup.cfg.epochs, setup.steps_per_epoch)
        return cls(online, target, options, schedule)

    def step(self, views: Sequence[torch.Tensor], epoch: int, step: int) -> StepResult:
        """Symmetrised normalised MSE between online predictions and target projections of the two views.

        Low-res views, when the config keeps them, add their predictions of both high-res targets.
        """
        if len(views) < 2:
            raise MethodError(f"byol needs the two high-res views of each product, got {len(views)} view(s)")
        predictions = self.forward_student(views).chunk(len(views))
        p1, p2 = predictions[:2]
        assert self.teacher is not None
        with torch.no_grad():
            z1, z2 = self.teacher(list(views[:2])).chunk(2)
        loss = byol_loss(p1, p2, z1, z2)
        if len(views) > 2:
            # multi-crop: each low-res view's prediction regresses both high-res target projections;
            # the mean over all terms is scaled by 2 so that two views give the paper's L + L̃
            local_terms = [byol_loss(p, p, z1, z2) for p in predictions[2:]]
            loss = (loss + sum(local_terms)) / (1 + len(local_terms))
        with torch.no_grad():
            cosine = 0.5 * (F.cosine_similarity(p1.float(), z2.float(), dim=-1).mean()
                            + F.cosine_similarity(p2.float(), z1.float(), dim=-1).mean())
            target = F.normalize(z1.float(), dim=-1)
            spread = target.std(dim=0).mean() * math.sqrt(target.shape[1]) if target.shape[0] > 1 else target.new_zeros(())
        return StepResult(loss, {"prediction_cosine": float(cosine), "target_std": float(spread)})

    def after_optimizer_step(self, epoch: int, step: int) -> dict[str, float]:
        """Move the target towards the online backbone and projector with this step's momentum."""
        assert self.teacher is not None
        momentum = float(self.momentum_schedule[min(step, len(self.momentum_schedule) - 1)])
        ema_update(self.teacher.backbone, self.student.backbone, momentum)
        ema_update(self.teacher.head, self.student.head.projector, momentum)
        return {"momentum": momentum}
