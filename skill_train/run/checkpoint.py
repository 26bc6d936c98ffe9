"""Checkpoints: atomic, exactly resumable, loaded without unpickling code.

    >>> save_checkpoint(run.checkpoint, {"student": ..., "rng": capture_rng_state()})
    >>> state = load_checkpoint(run.checkpoint)                 # torch.load(weights_only=True)

Everything saved is plain tensors, numbers, strings, lists and dicts, so loading never
needs to unpickle arbitrary objects.
"""

from __future__ import annotations

import pickle
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skill_aug.atomic import atomic_write
from skill_aug.errors import SkillAugError, first_line
from skill_train.run.folder import RunDir


class CheckpointError(SkillAugError):
    """A checkpoint or exported backbone that is missing or cannot be read."""


class NonFiniteState(CheckpointError):
    """A state that holds NaN or infinite tensors, which is never saved over a good one."""


def first_nonfinite(state: Any, prefix: str = "") -> str | None:
    """The dotted name of the first floating-point tensor in ``state`` (nested dicts, lists) holding NaN or
    an infinity, or None."""
    if isinstance(state, torch.Tensor):
        if state.is_floating_point() and not bool(torch.isfinite(state).all()):
            return prefix or "tensor"
        return None
    if isinstance(state, dict):
        items = state.items()
    elif isinstance(state, (list, tuple)):
        items = enumerate(state)
    else:
        return None
    for key, value in items:
        found = first_nonfinite(value, f"{prefix}.{key}" if prefix else str(key))
        if found is not None:
            return found
    return None


#: What every checkpoint holds beside its method's networks, and the type each must have.
_RESUME_KEYS = {"next_step": int, "optimizer": dict, "scaler": dict, "rng": list}


def check_resume_state(state: Any, path: Path, total_steps: int, world_size: int) -> int:
    """The step a checkpoint resumes at, after checking its shape; a damaged checkpoint is a CheckpointError.

    ``next_step`` must lie in ``[0, total_steps]`` (the run's epochs × steps per epoch) and the
    generator states must be one per process (any count is accepted when ``world_size`` changed).
    """
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a training checkpoint (expected a mapping, got {type(state).__name__})")
    for key, kind in _RESUME_KEYS.items():
        value = state.get(key)
        if value is None:
            raise CheckpointError(f"{path}: damaged checkpoint: no {key!r} (expected a checkpoint written by skill train)")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CheckpointError(f"{path}: damaged checkpoint: {key} is a {type(value).__name__}, expected {kind.__name__}")
    step = state["next_step"]
    if not 0 <= step <= total_steps:
        raise CheckpointError(f"{path}: damaged checkpoint: next_step = {step} is outside this run's 0..{total_steps} steps")
    if not state["rng"] or not all(isinstance(r, dict) for r in state["rng"]):
        raise CheckpointError(f"{path}: damaged checkpoint: rng must be one generator state per process")
    return step


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
    """``torch.save`` to a temporary file in the same folder, then rename: never a torn checkpoint.

    A state holding NaN or infinite tensors raises :class:`NonFiniteState` and leaves ``path`` as it was.
    """
    bad = first_nonfinite(state)
    if bad is not None:
        raise NonFiniteState(f"{path}: not saved: {bad} holds NaN or infinite values (training diverged; "
                             "the previous checkpoint is kept; try a lower --lr)")
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; a missing or unreadable file is a one-line error."""
    path = Path(path)
    if path.is_dir():
        path = RunDir(path).checkpoint
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint here (expected a run folder holding {RunDir.CHECKPOINT})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on a foreign file's pickle protocol
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several unrelated types for a bad file
        if isinstance(err, pickle.UnpicklingError):  # torch's own text suggests weights_only=False: never
            detail = "not a checkpoint of plain tensors and numbers, as skill train writes"
        else:
            detail = first_line(str(err))[:200]
        raise CheckpointError(f"{path}: cannot read checkpoint ({type(err).__name__}: {detail})") from err
