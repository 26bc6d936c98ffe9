"""The errors of finding, configuring and building a training method (one line each: which and why)."""

from __future__ import annotations

from skill_aug.errors import SkillAugError


class MethodError(SkillAugError):
    """A method that cannot be loaded or built as configured (one line: which and why)."""


class UnknownMethod(MethodError):
    """A method name that no loaded plugin registers."""
