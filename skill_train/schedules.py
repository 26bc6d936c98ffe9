"""Per-step and per-epoch schedules of the DINO recipe, as plain numpy arrays.

A schedule is computed once for the whole run (``epochs × steps_per_epoch`` values) and
indexed by the global optimiser step, so resuming a run only needs the step number::

    >>> lr = cosine_schedule(5e-4, 1e-6, epochs=100, steps_per_epoch=50, warmup_epochs=10)
    >>> lr[0], lr[499], lr[-1]          # 0 → peak at the end of warm-up → 1e-6
"""

from __future__ import annotations

import numpy as np


def cosine_schedule(
    base_value: float,
    final_value: float,
    epochs: int,
    steps_per_epoch: int,
    warmup_epochs: float = 0,
    start_warmup_value: float = 0.0,
) -> np.ndarray:
    """Linear warm-up from ``start_warmup_value`` to ``base_value``, then a half cosine to ``final_value``.

    Returns ``epochs * steps_per_epoch`` float64 values, one per optimiser step. The
    warm-up covers ``round(warmup_epochs * steps_per_epoch)`` steps (DINO's convention:
    its last step reaches ``base_value``); the cosine covers the rest, starting exactly at
    ``base_value`` and approaching ``final_value`` at the last step.
    """
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"epochs and steps_per_epoch must be >= 1, got {epochs} and {steps_per_epoch}")
    total = int(epochs * steps_per_epoch)
    warmup = min(int(round(warmup_epochs * steps_per_epoch)), total)
    head = np.linspace(start_warmup_value, base_value, warmup) if warmup > 0 else np.zeros(0)
    rest = total - warmup
    t = np.arange(rest)
    tail = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * t / max(rest, 1)))
    return np.concatenate([head, tail]).astype(np.float64)


def teacher_temperature_schedule(
    warmup_teacher_temp: float, teacher_temp: float, warmup_epochs: int, epochs: int
) -> np.ndarray:
    """Per-epoch teacher temperature: linear from the warm-up value over ``warmup_epochs``, then flat.

    DINO's schedule: ``linspace(warm, final, warmup_epochs)`` followed by ``final`` for the
    remaining epochs (``epochs`` values in all; a warm-up longer than the run is truncated).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    warmup_epochs = max(0, int(warmup_epochs))
    head = np.linspace(warmup_teacher_temp, teacher_temp, warmup_epochs)
    tail = np.full(max(epochs - warmup_epochs, 0), teacher_temp)
    return np.concatenate([head, tail])[:epochs].astype(np.float64)


def scaled_lr(base_lr: float, global_batch: int) -> float:
    """The linear scaling rule: ``base_lr × global_batch / 256``."""
    return base_lr * global_batch / 256.0
