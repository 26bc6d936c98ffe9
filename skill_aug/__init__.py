"""skill_aug: SkiLL augmentation spaces, YAML policies and a plugin host for product types.

    >>> import skill_aug
    >>> policy = skill_aug.load_policy("policies/dress.yaml")
    >>> views = policy(images, rng=0)          # one product's HxWx3 uint8 RGB photos
    >>> views.global_views, views.local_views  # G_h∘A_i(x′), G_h∘A_i(x″); G_l∘A_i(x′) × c

No torch needed: the core is numpy, OpenCV, albumentations and pluggy.
"""

import os

# albumentations 2.0.8 asks PyPI for a newer release on import; nothing here may reach the
# network at run time (and offline the check only adds a warning and a delay).
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

from skill_aug.hookspecs import hookimpl  # noqa: E402
from skill_aug.spec import GlobalSpace, OpSpec, PolicySpec, ProductType, Silhouette, ViewGroup  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "GlobalSpace",
    "MultiView",
    "OpSpec",
    "Policy",
    "PolicySpec",
    "ProductType",
    "Silhouette",
    "ViewGroup",
    "hookimpl",
    "load_policy",
    "policy_for_task",
]


def __getattr__(name: str):
    # Policy machinery imports albumentations (slow); load it on first use only.
    if name in {"Policy", "MultiView", "load_policy", "policy_for_task"}:
        from skill_aug import policy

        return getattr(policy, name)
    raise AttributeError(f"module 'skill_aug' has no attribute {name!r}")
