"""The built-in methods, registered through the same ``register_methods`` hook a third party uses.

Published as the entry point ``skill_train_methods`` (group ``skill_train``). Registering is
only names and import paths: nothing here imports torch.
"""

from __future__ import annotations

from typing import Callable

from skill_train.methods.hookspecs import hookimpl


@hookimpl
def register_methods(register: Callable[[str, str, str], None]) -> None:
    """Register ``dino``, ``simclr`` and ``byol``."""
    register("dino", "skill_train.methods.dino:DINO",
             "DINO self-distillation: EMA teacher on the high-res views, student on all views (SkiLL's method)")
    register("simclr", "skill_train.methods.simclr:SimCLR",
             "SimCLR: projection MLP, NT-Xent over two high-res views, negatives from every process")
    register("byol", "skill_train.methods.byol:BYOL",
             "BYOL: projector + predictor, EMA target (cosine momentum to 1), symmetrised normalised MSE")
