"""Which catalogue columns an evaluation scores: one rule for ``skill eval``, ``skill compare``
and the trainer's end-of-run k-NN.

The product type's declared attributes when the catalogue has them, else every column; never
the columns that identify rather than describe a product; only columns with 2 to 200 classes.
Colour is left out unless asked for: ``skill eval`` measures it by colour entropy, while the
trainer's check, which computes no entropy, reports colour k-NN beside pattern (falling colour
accuracy is its colour-invariance signal).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from skill_aug.catalog import CATEGORY_COLUMN
from skill_train.eval.colors import color_column

#: Columns that name rather than describe a product; never scored.
ID_COLUMNS = {"product_id", "design_id", "path", "split"}
MAX_CLASSES = 200


def task_attributes(task: str | None) -> tuple[str, ...]:
    """The attributes a registered product type declares for evaluation (empty if unknown)."""
    if not task:
        return ()
    from skill_aug.errors import UnknownProductType
    from skill_aug.plugins import get_registry

    try:
        return tuple(get_registry().product_type(task).attributes)
    except UnknownProductType:
        return ()


def default_attributes(
    attribute_names: Sequence[str], attributes: Mapping[str, Mapping[str, str]], task: str | None = None,
    include_color: bool = False,
) -> list[str]:
    """Columns worth scoring (see the module doc); ``task`` defaults to a single-valued ``category`` column."""
    if not task:
        categories = {a.get(CATEGORY_COLUMN, "") for a in attributes.values()} - {""}
        task = categories.pop() if len(categories) == 1 else None
    declared = [n for n in task_attributes(task) if n in attribute_names]
    keep = []
    for name in declared or attribute_names:
        if name in ID_COLUMNS or (color_column([name]) and not include_color):
            continue
        values = {a.get(name, "") for a in attributes.values()} - {""}
        if 2 <= len(values) <= MAX_CLASSES:
            keep.append(name)
    return keep
