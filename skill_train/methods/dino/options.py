"""DINO's own hyper-parameters: the head, the temperatures, the centring, KoLeo and the last-layer freeze.

A config gives them under ``method_options`` (``skill_train/presets/*.yaml`` set every one);
the run's ``config.yaml`` shows each with the value used.
"""

from __future__ import annotations

from dataclasses import dataclass

from skill_train.methods.options import check_widths

CENTERINGS = ("center", "sinkhorn")


@dataclass(frozen=True)
class DINOOptions:
    """DINO's ``method_options``; the defaults are DINO's ViT recipe (the presets change some).

    ``out_dim``: prototypes K. ``head_*``: the head's MLP (``head_batchnorm`` is DINO's
    ``--use_bn_in_head``). ``norm_last_layer``: freeze the prototypes' norms.
    ``warmup_teacher_temp`` → ``teacher_temp`` over ``warmup_teacher_temp_epochs``;
    ``student_temp``. ``centering``: ``center`` (DINO's running centre, ``center_momentum``)
    or ``sinkhorn`` (DINOv2). ``koleo_weight``: DINOv2's KoLeo regulariser on the backbone
    features (0 disables it). ``freeze_last_layer``: epochs with the prototypes frozen.
    """

    out_dim: int = 1024
    head_hidden_dim: int = 2048
    head_bottleneck_dim: int = 256
    norm_last_layer: bool = True
    head_batchnorm: bool = False
    warmup_teacher_temp: float = 0.04
    teacher_temp: float = 0.04
    warmup_teacher_temp_epochs: int = 0
    student_temp: float = 0.1
    center_momentum: float = 0.9
    centering: str = "center"
    koleo_weight: float = 0.0
    freeze_last_layer: int = 1

    def __post_init__(self) -> None:
        check_widths(self, ("out_dim",), minimum=2)  # prototypes: a softmax over one would be constant
        check_widths(self, ("head_hidden_dim", "head_bottleneck_dim"))
        checks = [
            ("center_momentum", 0 <= self.center_momentum < 1, "a number in [0, 1)"),
            ("teacher_temp", self.teacher_temp > 0, "a number > 0"),
            ("warmup_teacher_temp", self.warmup_teacher_temp > 0, "a number > 0"),
            ("warmup_teacher_temp_epochs", self.warmup_teacher_temp_epochs >= 0, "an integer >= 0"),
            ("student_temp", self.student_temp > 0, "a number > 0"),
            ("centering", self.centering in CENTERINGS, "center (DINO) or sinkhorn (DINOv2)"),
            ("koleo_weight", self.koleo_weight >= 0, "a number >= 0 (0 disables the KoLeo regulariser)"),
            ("freeze_last_layer", self.freeze_last_layer >= 0, "an integer >= 0"),
        ]
        for name, ok, valid in checks:
            if not ok:
                raise ValueError(f"option {name} = {getattr(self, name)!r} is not valid (expected {valid})")
