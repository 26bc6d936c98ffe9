"""The one error type evaluation raises for bad input (a one-line message, non-zero exit)."""

from __future__ import annotations

from skill_aug.errors import SkillAugError


class EvaluationError(SkillAugError):
    """Embeddings, labels, a run folder or an option that evaluation cannot use as given."""
