"""DINO (Caron et al., 2021) as a method: the trainer's DINO pieces behind the Method interface.

    >>> method = DINO.build(setup)              # student/teacher: backbone + DINOHead; DINOLoss
    >>> out = method.step(views, epoch, step)   # teacher on the 2 high-res views, student on all
    >>> method.before_optimizer_step(epoch, step)   # last layer frozen in the first epoch(s)
    >>> method.after_optimizer_step(epoch, step)    # EMA teacher, then the loss centre

SkiLL is this method with a product type's policy. DINO's own hyper-parameters (head sizes,
temperatures, centring, KoLeo, last-layer freeze) are its options (:class:`DINOOptions`,
``method_options`` in a config); the teacher's base momentum is the config's shared
``momentum_teacher``. The bundled presets are DINO's recipes, so DINO changes nothing in them.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from skill_train.methods.base import Method, MethodSetup, StepResult
from skill_train.methods.collectives import gather_with_grad
from skill_train.methods.dino.head import DINOHead
from skill_train.methods.dino.koleo import koleo_loss
from skill_train.methods.dino.loss import DINOLoss
from skill_train.methods.dino.options import DINOOptions
from skill_train.methods.errors import MethodError
from skill_train.models.ema import ema_update
from skill_train.models.multicrop import MultiCropWrapper
from skill_train.schedules import cosine_schedule


def cancel_last_layer_gradients(model: nn.Module, epoch: int, freeze_epochs: int) -> None:
    """Drop the prototypes' gradients during the first ``freeze_epochs`` epochs (stabilises the start)."""
    if epoch >= freeze_epochs:
        return
    for name, p in model.named_parameters():
        if "last_layer" in name:
            p.grad = None


class DINO(Method):
    """Self-distillation: cross-entropy between the centred, sharpened EMA teacher and the student."""

    name = "dino"
    embedding_network = "teacher"
    uses_local_views = True
    progress_stat = ("teacher_temp", "T_t")
    Options = DINOOptions
    recipes: dict = {}

    options: DINOOptions

    def __init__(self, student: nn.Module, teacher: nn.Module, loss: DINOLoss, momentum: np.ndarray,
                 options: DINOOptions):
        super().__init__(student, teacher, options)
        self.loss = loss
        self.momentum_schedule = momentum
        self._teacher_output: torch.Tensor | None = None

    @classmethod
    def build(cls, setup: MethodSetup) -> "DINO":
        """Student and teacher (same weights; drop-path only in the student's backbone) and the loss."""
        o = cls.parse_options(setup.options)
        cfg = setup.cfg
        head_args = dict(in_dim=setup.backbone.num_features, out_dim=o.out_dim, hidden_dim=o.head_hidden_dim,
                         bottleneck_dim=o.head_bottleneck_dim, norm_last_layer=o.norm_last_layer,
                         use_bn=o.head_batchnorm)
        student = MultiCropWrapper(setup.backbone, DINOHead(**head_args))
        teacher = MultiCropWrapper(setup.make_backbone(), DINOHead(**head_args))
        teacher.load_state_dict(student.state_dict())
        loss = DINOLoss(o.out_dim, 2 + setup.n_local, o.warmup_teacher_temp, o.teacher_temp,
                        o.warmup_teacher_temp_epochs, cfg.epochs, o.student_temp, o.center_momentum,
                        centering=o.centering)
        momentum = cosine_schedule(cfg.momentum_teacher, 1.0, cfg.epochs, setup.steps_per_epoch)
        return cls(student, teacher, loss, momentum, o)

    def networks(self) -> dict[str, nn.Module]:
        """``student``, ``teacher`` and ``dino_loss`` (its centre buffer)."""
        return {**super().networks(), "dino_loss": self.loss}

    def step(self, views: Sequence[torch.Tensor], epoch: int, step: int) -> StepResult:
        """The teacher sees the two high-res views, the student every view; the centre waits for the step."""
        if len(views) != self.loss.ncrops:
            raise MethodError(f"dino was built for {self.loss.ncrops} views per product, got {len(views)}")
        assert self.teacher is not None
        with torch.no_grad():
            teacher_output = self.teacher(list(views[:2]))
        student_output, features = self.forward_student(views, return_features=True)
        loss = self.loss(student_output, teacher_output, epoch, update_center=False)
        self._teacher_output = teacher_output
        stats = {k: self.loss.stats[k] for k in ("teacher_temp", "teacher_entropy", "kl", "prototypes_used")}
        if self.options.koleo_weight > 0:
            # DINOv2: KoLeo on each high-res view's backbone features, over the global batch
            # (gathered from every process, so a DDP run regularises what one process would)
            batch = views[0].shape[0]
            koleo = sum(koleo_loss(gather_with_grad(chunk)[0]) for chunk in features[: 2 * batch].chunk(2)) / 2
            stats["koleo"] = float(koleo.detach())
            loss = loss + self.options.koleo_weight * koleo
        return StepResult(loss, stats)

    def before_optimizer_step(self, epoch: int, step: int) -> None:
        """Freeze the prototypes (last layer) during the first ``freeze_last_layer`` epochs."""
        cancel_last_layer_gradients(self.student, epoch, self.options.freeze_last_layer)

    def after_optimizer_step(self, epoch: int, step: int) -> dict[str, float]:
        """EMA teacher with this step's momentum, then the loss centre from this step's teacher output."""
        assert self.teacher is not None
        momentum = float(self.momentum_schedule[min(step, len(self.momentum_schedule) - 1)])
        ema_update(self.teacher, self.student, momentum)
        if self._teacher_output is not None:
            self.loss.update_center(self._teacher_output)
            self._teacher_output = None
        return {"momentum": momentum}

    def summary(self, last: Mapping[str, float]) -> dict[str, float]:
        """How far the run is from the uniform (collapsed) solution: ln K beside the final loss,
        the teacher's entropy and the student–teacher KL."""
        return {
            "uniform_loss": math.log(self.options.out_dim),
            "final_teacher_entropy": last.get("teacher_entropy", float("nan")),
            "final_kl": last.get("kl", float("nan")),
        }
