"""The core's own ops, registered through the same ``register_ops`` hook as any plugin's.

Published as the entry point ``core_ops = "skill_aug.ops.registration"`` in pyproject.toml.
"""

from __future__ import annotations

from typing import Callable

from skill_aug.hookspecs import hookimpl
from skill_aug.ops import CUSTOM_OPS


@hookimpl
def register_ops(register: Callable[[type], None]) -> None:
    """Register ForegroundCrop, PadToSquare, RegionCrop, FoldShading and FastIllumination."""
    for op in CUSTOM_OPS:
        register(op)
