"""Checkpoints (atomic, exactly resumable) and the timm export of the teacher backbone.

    >>> save_checkpoint(run / "checkpoint.pt", {"student": ..., "rng": capture_rng_state()})
    >>> state = load_checkpoint(run / "checkpoint.pt")          # torch.load(weights_only=True)
    >>> export_backbone(teacher.backbone, model_config, run)    # backbone.safetensors + model_config.json
    >>> backbone = load_exported_backbone(run)                  # timm.create_model(**cfg) + load_state_dict

Everything saved is plain tensors, numbers, strings, lists and dicts, so loading never
needs to unpickle arbitrary objects.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import timm
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from skill_aug.errors import SkillAugError

CHECKPOINT_NAME = "checkpoint.pt"
BACKBONE_NAME = "backbone.safetensors"
MODEL_CONFIG_NAME = "model_config.json"


class CheckpointError(SkillAugError):
    """A checkpoint or exported backbone that is missing or cannot be read."""


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (readers see the old file or the new one)."""
    _atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def capture_rng_state() -> dict[str, Any]:
    """Python, numpy, torch (and CUDA) generator states, as ``weights_only``-loadable values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back generator states captured by :func:`capture_rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["kind"],
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename: never a torn checkpoint."""
    _atomic(Path(path), lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; a missing or unreadable file is a one-line error."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint here (expected a run folder holding {CHECKPOINT_NAME})")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several unrelated types for a bad file
        first_line = (str(err).strip().splitlines() or [""])[0]
        raise CheckpointError(f"{path}: cannot read checkpoint ({type(err).__name__}: {first_line})") from err


def export_backbone(backbone: nn.Module, model_config: dict[str, Any], run_dir: Path) -> tuple[Path, Path]:
    """Write ``backbone.safetensors`` and ``model_config.json`` (timm kwargs) into ``run_dir``.

    ``timm.create_model(**model_config)`` followed by ``load_state_dict`` of the safetensors
    file reproduces ``backbone`` (see :func:`load_exported_backbone`).
    """
    run_dir = Path(run_dir)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in backbone.state_dict().items()}
    weights_path = run_dir / BACKBONE_NAME
    config_path = run_dir / MODEL_CONFIG_NAME
    _atomic(weights_path, lambda tmp: save_file(tensors, str(tmp), metadata={"format": "pt"}))
    atomic_write_text(config_path, json.dumps(model_config, indent=2, sort_keys=True) + "\n")
    return weights_path, config_path


def load_exported_backbone(run_dir: Path) -> nn.Module:
    """The embedding model of a run: ``timm.create_model(**model_config)`` + the exported weights, in eval mode."""
    run_dir = Path(run_dir)
    config_path, weights_path = run_dir / MODEL_CONFIG_NAME, run_dir / BACKBONE_NAME
    for p in (config_path, weights_path):
        if not p.is_file():
            raise CheckpointError(f"{p}: missing (a finished run folder holds {MODEL_CONFIG_NAME} and {BACKBONE_NAME})")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    model = timm.create_model(pretrained=False, **config)
    model.load_state_dict(load_file(str(weights_path)))
    return model.eval()
