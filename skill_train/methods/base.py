"""The method interface: what a self-supervised method gives the trainer, and what it gets from it.

The trainer owns everything a method does not care about (data, schedules of lr and weight
decay, the optimiser, clipping, autocast, DDP, checkpoints, export, logging). A method owns
its networks, its loss and whatever it updates after each optimiser step::

    >>> method = SimCLR.build(MethodSetup(backbone, make_backbone, cfg, options, steps_per_epoch=50))
    >>> out = method.step(views, epoch, step)        # views: [B×3×H×W] per view, high-res first
    >>> out.loss.backward(); method.before_optimizer_step(epoch, step); optimizer.step()
    >>> method.after_optimizer_step(epoch, step)      # EMA target, loss centre, ... → extra stats
    >>> method.embedding_backbone()                   # what is exported as backbone.safetensors

``student`` is the one trainable network (the optimiser's parameters, the module DDP wraps);
``teacher`` is an optional momentum copy that never gets gradients. Every network has a
``.backbone`` attribute, the timm model.
"""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

import torch
from torch import nn

from skill_train.methods.errors import MethodError
from skill_train.methods.options import NoOptions, parse_options


@dataclass(frozen=True)
class MethodSetup:
    """What the trainer hands :meth:`Method.build`.

    ``backbone``: the student's timm backbone, already initialised (seeded, ``--init``
    weights loaded, drop-path on). ``make_backbone()``: a new backbone of the same
    architecture without drop-path (for a momentum copy; its weights are overwritten).
    ``cfg``: the run's ``TrainConfig`` (methods read shared recipe fields such as
    ``epochs`` and ``momentum_teacher``). ``options``: the method's own options
    (``cfg.method_options``, e.g. DINO's ``out_dim``; parse them with :meth:`Method.parse_options`). ``n_local``: low-res views per product after
    :meth:`Method.adapt_policy`. The trainer calls ``build`` under a fixed seed, so a
    method may draw its heads' initial weights from the global torch RNG.
    """

    backbone: nn.Module
    make_backbone: Callable[[], nn.Module]
    cfg: Any
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    steps_per_epoch: int = 1
    n_local: int = 0


@dataclass
class StepResult:
    """One training step's loss (a scalar tensor to back-propagate) and its diagnostics (floats)."""

    loss: torch.Tensor
    stats: dict[str, float]


class Method(abc.ABC):
    """A self-supervised method: networks, a loss step and the per-step updates after the optimiser.

    Subclasses set the class attributes below and implement :meth:`build` and :meth:`step`.
    ``recipes`` maps a bundled preset name (``cpu``, ``paper``) to the ``TrainConfig`` fields
    this method changes in it (e.g. a ResNet instead of the ViT, no low-res views); what a run
    used is saved, resolved, in its ``config.yaml``.
    """

    name: ClassVar[str] = ""
    #: which network's ``.backbone`` is the embedding model: ``"student"`` or ``"teacher"``
    embedding_network: ClassVar[str] = "student"
    #: whether the method consumes the policy's low-res views (else the trainer drops them)
    uses_local_views: ClassVar[bool] = False
    #: the stat the progress bar shows beside the loss: (stats key, label)
    progress_stat: ClassVar[tuple[str, str]] = ("", "")
    Options: ClassVar[type] = NoOptions
    recipes: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, student: nn.Module, teacher: nn.Module | None, options: Any):
        self.student = student
        self.teacher = teacher
        self.options = options
        self._student_call: Callable[..., torch.Tensor] = student
        if teacher is not None:
            for p in teacher.parameters():
                p.requires_grad = False

    # -- construction ------------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def build(cls, setup: MethodSetup) -> "Method":
        """Create the networks around ``setup.backbone`` (and the loss state)."""

    @classmethod
    def parse_options(cls, values: Mapping[str, Any] | None, source: str = "method_options") -> Any:
        """``values`` as this method's ``Options`` dataclass; unknown keys and bad types are errors."""
        return parse_options(cls.name, cls.Options, values or {}, source)

    @classmethod
    def default_options(cls) -> dict[str, Any]:
        """Every option with its default value (what a run's ``config.yaml`` shows)."""
        return dataclasses.asdict(cls.Options())

    @classmethod
    def adapt_policy(cls, policy: Any) -> Any:
        """The policy this method trains with: without low-res views unless it uses them."""
        if cls.uses_local_views or policy.n_local == 0:
            return policy
        return policy.with_view_counts(n_local=0)

    # -- the training step -------------------------------------------------------------------
    def distribute(self, wrap: Callable[[nn.Module], nn.Module]) -> None:
        """Route the student's forward passes through ``wrap(student)`` (DDP); parameters stay shared."""
        self._student_call = wrap(self.student)

    def forward_student(self, views: Sequence[torch.Tensor], **kwargs: Any) -> Any:
        """The student on ``views`` (through DDP when distributed); ``kwargs`` go to its ``forward``."""
        return self._student_call(list(views), **kwargs)

    @abc.abstractmethod
    def step(self, views: Sequence[torch.Tensor], epoch: int, step: int) -> StepResult:
        """Loss of one batch: ``views`` are the high-res views first, then the low-res ones."""

    def before_optimizer_step(self, epoch: int, step: int) -> None:
        """Adjust the student's gradients after clipping, before the optimiser steps (default: nothing)."""

    def after_optimizer_step(self, epoch: int, step: int) -> dict[str, float]:
        """Updates after a good optimiser step (EMA, running centres); returns stats to log."""
        return {}

    def summary(self, last: Mapping[str, float]) -> dict[str, float]:
        """Figures of the method for the run's ``summary.json``, from the last step's record (default: none)."""
        return {}

    # -- state -------------------------------------------------------------------------------
    def networks(self) -> dict[str, nn.Module]:
        """Everything with state, by checkpoint key (``student``, ``teacher``, loss buffers, ...)."""
        nets: dict[str, nn.Module] = {"student": self.student}
        if self.teacher is not None:
            nets["teacher"] = self.teacher
        return nets

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        """Each network's ``state_dict`` under its key (plain tensors: ``weights_only``-loadable)."""
        return {key: net.state_dict() for key, net in self.networks().items()}

    def load_state_dict(self, state: Mapping[str, Mapping[str, torch.Tensor]]) -> None:
        """Restore :meth:`state_dict`; a missing key means the checkpoint is another method's."""
        networks = self.networks()
        for key in networks:
            if key not in state:
                raise MethodError(
                    f"checkpoint has no {key!r} state for method {self.name!r} "
                    f"(it holds {', '.join(sorted(state)) or 'nothing'}; was it saved by another method?)"
                )
        for key, net in networks.items():
            try:
                net.load_state_dict(state[key])
            except RuntimeError as err:
                detail = (str(err).strip().splitlines()[1:2] or [str(err)])[0].strip()
                raise MethodError(
                    f"checkpoint's {key!r} state does not fit method {self.name!r} as configured ({detail})"
                ) from err

    def to(self, device: torch.device | str) -> "Method":
        """Move every network to ``device``."""
        for net in self.networks().values():
            net.to(device)
        return self

    def train(self) -> "Method":
        """Training mode for every network (momentum copies included: BatchNorm uses batch statistics)."""
        for net in self.networks().values():
            net.train()
        return self

    def embedding_backbone(self) -> nn.Module:
        """The backbone exported as the run's embedding model."""
        return self.networks()[self.embedding_network].backbone

    @classmethod
    def backbone_state(cls, checkpoint_state: Mapping[str, Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """The embedding backbone's weights inside a checkpoint's method state (for ``--init``)."""
        network = checkpoint_state[cls.embedding_network]
        return {k.removeprefix("backbone."): v for k, v in network.items() if k.startswith("backbone.")}
