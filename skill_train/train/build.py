"""What a run trains: the configured method's networks around a seeded timm backbone.

    >>> method, model_config = build_method(cfg, high_res_size=64, steps_per_epoch=14, n_local=2)
    >>> initial_backbone(cfg, 64)        # the backbone exactly as training started it (the k-NN baseline)
    >>> load_backbone_weights(backbone, Path("runs/x/backbone.safetensors"))   # --init

Initialisation is seeded by ``cfg.seed`` alone (backbone first, then the method's heads), so
the starting backbone can be rebuilt at any time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from skill_train.methods import Method, MethodSetup, load_method
from skill_train.models.backbone import backbone_config, create_backbone
from skill_train.run.checkpoint import CheckpointError, load_checkpoint
from skill_train.run.config import TrainConfig
from skill_train.run.folder import RunDir


def _initial_student_backbone(cfg: TrainConfig, model_config: dict[str, Any]) -> nn.Module:
    """The student's backbone as training starts it: seeded random init (drop-path on), or ``--init`` weights."""
    backbone = create_backbone(model_config, drop_path_rate=cfg.drop_path_rate)
    if cfg.init:
        load_backbone_weights(backbone, Path(cfg.init))
    return backbone


def build_method(cfg: TrainConfig, high_res_size: int, steps_per_epoch: int = 1,
                 n_local: int | None = None) -> tuple[Method, dict[str, Any]]:
    """The configured method's networks around a timm backbone, and the backbone's timm config.

    Initialisation is seeded by ``cfg.seed`` alone (backbone first, then the method's heads),
    so :func:`initial_backbone` can rebuild the starting backbone.
    """
    method_cls = load_method(cfg.method)
    model_config = backbone_config(cfg.arch, high_res_size, cfg.arch_overrides)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        backbone = _initial_student_backbone(cfg, model_config)
        setup = MethodSetup(backbone, lambda: create_backbone(model_config), cfg, cfg.method_options,
                            steps_per_epoch, (cfg.n_local or 0) if n_local is None else n_local)
        method = method_cls.build(setup)
    return method.train(), model_config


def initial_backbone(cfg: TrainConfig, high_res_size: int) -> nn.Module:
    """The backbone exactly as training started it (random init, or ``--init`` weights)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return _initial_student_backbone(cfg, backbone_config(cfg.arch, high_res_size, cfg.arch_overrides))


def load_backbone_weights(backbone: nn.Module, path: Path) -> None:
    """Load a local ``backbone.safetensors`` or a run's ``checkpoint.pt`` (its embedding backbone) into ``backbone``."""
    if path.is_dir():
        path = RunDir(path).backbone
    if not path.is_file():
        raise CheckpointError(f"--init {path}: no such file (give a backbone.safetensors or checkpoint.pt)")
    if path.suffix == ".safetensors":
        weights = load_file(str(path))
    else:
        state = load_checkpoint(path)
        saved_method = (state.get("config") or {}).get("method", "dino")
        try:
            weights = load_method(saved_method).backbone_state(state)
        except KeyError as err:
            raise CheckpointError(f"--init {path}: no {err} network in this {saved_method} checkpoint") from err
    try:
        backbone.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[1:2] or [str(err)]
        raise CheckpointError(f"--init {path}: does not fit the preset's backbone ({first[0].strip()})") from err
