"""The run's embedding model as plain timm: ``backbone.safetensors`` + ``model_config.json``.

    >>> export_backbone(teacher.backbone, model_config, run)    # writes both files atomically
    >>> backbone = load_exported_backbone(run)                  # timm.create_model(**cfg) + load_state_dict
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import timm
from safetensors.torch import load_file, save_file
from torch import nn

from skill_aug.atomic import atomic_write, atomic_write_text
from skill_train.run.checkpoint import CheckpointError
from skill_train.run.folder import RunDir


def export_backbone(backbone: nn.Module, model_config: dict[str, Any], run_dir: str | Path | RunDir) -> tuple[Path, Path]:
    """Write ``backbone.safetensors`` and ``model_config.json`` (timm kwargs) into ``run_dir``.

    ``timm.create_model(**model_config)`` followed by ``load_state_dict`` of the safetensors
    file reproduces ``backbone`` (see :func:`load_exported_backbone`).
    """
    run = RunDir(run_dir)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in backbone.state_dict().items()}
    atomic_write(run.backbone, lambda tmp: save_file(tensors, str(tmp), metadata={"format": "pt"}))
    atomic_write_text(run.model_config, json.dumps(model_config, indent=2, sort_keys=True) + "\n")
    return run.backbone, run.model_config


def load_exported_backbone(run_dir: str | Path | RunDir) -> nn.Module:
    """The embedding model of a run: ``timm.create_model(**model_config)`` + the exported weights, in eval mode."""
    run = RunDir(run_dir)
    for p in (run.model_config, run.backbone):
        if not p.is_file():
            raise CheckpointError(f"{p}: missing (a finished run folder holds {RunDir.MODEL_CONFIG} and {RunDir.BACKBONE})")
    config = read_model_config(run)
    try:
        model = timm.create_model(pretrained=False, **config)
    except Exception as err:  # timm raises many types for arguments that do not fit
        raise CheckpointError(f"{run.model_config}: does not build a timm model ({_first_line(err)})") from None
    try:
        weights = load_file(str(run.backbone))
    except Exception as err:  # safetensors raises its own error types for a damaged file
        raise CheckpointError(f"{run.backbone}: not a readable safetensors file ({_first_line(err)})") from None
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        detail = (str(err).strip().splitlines()[1:2] or [str(err)])[0].strip()
        raise CheckpointError(f"{run.backbone}: does not fit the model of {run.MODEL_CONFIG} ({detail})") from None
    return model.eval()


def read_model_config(run_dir: str | Path | RunDir) -> dict[str, Any]:
    """The ``timm.create_model`` keyword arguments saved in the run's ``model_config.json`` (checked)."""
    path = RunDir(run_dir).model_config
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise CheckpointError(f"{path}: not readable JSON ({_first_line(err)})") from None
    if not isinstance(config, dict) or not isinstance(config.get("model_name"), str):
        raise CheckpointError(f"{path}: expected a JSON object of timm.create_model arguments with a model_name")
    if not timm.models.is_model(config["model_name"]):
        raise CheckpointError(f"{path}: model_name {config['model_name']!r} is not a timm model")
    return config


def _first_line(err: Exception) -> str:
    return f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0][:200]}"
