"""The DINO self-distillation loss (paper Eq. 3–5, DINO's centring and sharpening).

    >>> loss_fn = DINOLoss(out_dim=4096, ncrops=8, warmup_teacher_temp=0.04, teacher_temp=0.04,
    ...                    warmup_teacher_temp_epochs=0, nepochs=100)
    >>> loss = loss_fn(student_logits, teacher_logits, epoch)   # [8·B, D], [2·B, D]
    >>> loss_fn.stats                                             # teacher entropy, KL, prototypes used

The student sees every crop (high-res first), the teacher only the two high-res crops;
pairs of the same view are skipped, so there are ``2·ncrops − 2`` cross-entropy terms.
Works with or without ``torch.distributed``: the centre is all-reduced when a process
group is initialised, and is a plain running mean otherwise.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from skill_train.methods.collectives import all_reduce_sum, world_size
from skill_train.methods.dino.options import CENTERINGS
from skill_train.methods.dino.sinkhorn import sinkhorn_knopp
from skill_train.schedules import teacher_temperature_schedule


class DINOLoss(nn.Module):
    """Cross-entropy between the centred, sharpened teacher and the student, over all view pairs.

    ``center`` is a buffer (saved in ``state_dict``), so checkpoints resume it exactly.
    After each ``forward``, ``stats`` holds diagnostics of that batch (floats):
    ``teacher_entropy`` (mean entropy of the teacher's distributions, nats; ``ln(out_dim)``
    means uniform collapse, ~0 means one-hot collapse), ``kl`` (mean KL(teacher ‖ student)
    over the loss's pairs; ~0 with any collapse), ``prototypes_used`` (distinct teacher
    argmax prototypes in the batch) and ``teacher_temp``.
    """

    center: torch.Tensor

    def __init__(
        self,
        out_dim: int,
        ncrops: int,
        warmup_teacher_temp: float,
        teacher_temp: float,
        warmup_teacher_temp_epochs: int,
        nepochs: int,
        student_temp: float = 0.1,
        center_momentum: float = 0.9,
        centering: str = "center",
        sinkhorn_iterations: int = 3,
    ):
        super().__init__()
        if centering not in CENTERINGS:
            raise ValueError(f"centering must be one of {CENTERINGS}, got {centering!r}")
        self.centering = centering
        self.sinkhorn_iterations = sinkhorn_iterations
        if ncrops < 2:
            raise ValueError(f"ncrops must be >= 2 (the two high-res views), got {ncrops}")
        self.out_dim = out_dim
        self.ncrops = ncrops
        self.student_temp = student_temp
        self.center_momentum = center_momentum
        self.register_buffer("center", torch.zeros(1, out_dim))
        self.teacher_temp_schedule = teacher_temperature_schedule(
            warmup_teacher_temp, teacher_temp, warmup_teacher_temp_epochs, nepochs
        )
        self.stats: dict[str, float] = {}

    def teacher_temp(self, epoch: int) -> float:
        """The teacher temperature used in ``epoch`` (the last value past the schedule's end)."""
        index = min(max(int(epoch), 0), len(self.teacher_temp_schedule) - 1)
        return float(self.teacher_temp_schedule[index])

    def forward(
        self,
        student_output: torch.Tensor,
        teacher_output: torch.Tensor,
        epoch: int,
        update_center: bool = True,
    ) -> torch.Tensor:
        """Mean cross-entropy over the ``2·ncrops − 2`` (teacher view, other student view) pairs.

        ``student_output``: ``[ncrops·B, out_dim]`` logits, the two high-res views first, each
        crop a contiguous block of B rows. ``teacher_output``: ``[2·B, out_dim]``. With
        ``update_center`` (DINO's behaviour) the centre moves towards this batch's teacher
        mean after the loss is computed; a trainer may pass ``False`` and call
        :meth:`update_center` itself once the step is known to be good.
        """
        if student_output.shape[0] % self.ncrops or teacher_output.shape[0] * self.ncrops != 2 * student_output.shape[0]:
            raise ValueError(
                f"student_output {tuple(student_output.shape)} / teacher_output {tuple(teacher_output.shape)} "
                f"do not split into {self.ncrops} student crops and 2 teacher crops of one batch size"
            )
        temp = self.teacher_temp(epoch)
        student_logp = F.log_softmax(student_output.float() / self.student_temp, dim=-1).chunk(self.ncrops)
        teacher_p = self.teacher_targets(teacher_output, temp).chunk(2)

        total = student_output.new_zeros((), dtype=torch.float32)
        n_terms = 0
        for t_index, q in enumerate(teacher_p):
            for s_index, logp in enumerate(student_logp):
                if s_index == t_index:
                    continue  # the same view seen by both networks teaches nothing
                total = total + torch.sum(-q * logp, dim=-1).mean()
                n_terms += 1
        loss = total / n_terms

        with torch.no_grad():
            self.stats = self._diagnostics(teacher_p, student_logp, loss.detach(), n_terms, temp)
        if update_center:
            self.update_center(teacher_output)
        return loss

    @torch.no_grad()
    def teacher_targets(self, teacher_output: torch.Tensor, temp: float) -> torch.Tensor:
        """The teacher's centred, sharpened distributions: softmax((t − centre) / temp), or Sinkhorn-Knopp."""
        if self.centering == "sinkhorn":
            return sinkhorn_knopp(teacher_output.float() / temp, self.sinkhorn_iterations)
        return F.softmax((teacher_output.float() - self.center) / temp, dim=-1)

    @torch.no_grad()
    def update_center(self, teacher_output: torch.Tensor) -> None:
        """EMA of the teacher's batch mean (all-reduced over processes when distributed)."""
        batch_center = all_reduce_sum(torch.sum(teacher_output.float(), dim=0, keepdim=True))
        batch_center = batch_center / (teacher_output.shape[0] * world_size())
        self.center.mul_(self.center_momentum).add_(batch_center, alpha=1 - self.center_momentum)

    def _diagnostics(
        self,
        teacher_p: tuple[torch.Tensor, ...],
        student_logp: tuple[torch.Tensor, ...],
        loss: torch.Tensor,
        n_terms: int,
        temp: float,
    ) -> dict[str, float]:
        q = torch.cat(teacher_p)
        teacher_entropy = -(q * torch.log(q.clamp_min(1e-30))).sum(-1).mean()
        # cross-entropy = H(teacher) + KL(teacher ‖ student), averaged over the same pairs
        mean_pair_entropy = sum(
            float(-(p * torch.log(p.clamp_min(1e-30))).sum(-1).mean()) * (len(student_logp) - 1)
            for p in teacher_p
        ) / n_terms
        return {
            "teacher_entropy": float(teacher_entropy),
            "kl": float(loss) - mean_pair_entropy,
            "prototypes_used": float(torch.unique(q.argmax(-1)).numel()),
            "teacher_temp": temp,
            "uniform_entropy": math.log(self.out_dim),
        }
