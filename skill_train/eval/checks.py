"""The checks of evaluation commands' options, made before any photo is read or any model loaded.

    >>> check_embed_options(batch_size=64, workers=0, per_product="none")
    >>> check_eval_options(test_fraction=0.2, seed=0, entropy_k=None, workers=0, per_product="none")
    >>> check_search_options(k=10, per="design", workers=0)

Each raises :class:`~skill_train.eval.errors.EvaluationError` with one line naming the flag
and what would be valid.
"""

from __future__ import annotations

import math
from typing import Any

from skill_train.eval.errors import EvaluationError

PER_PRODUCT = ("none", "mean")
#: ``--input``: the photo after H as it is, or its grey version (``skill_train.eval.embed``).
INPUTS = ("colour", "grey")
SEARCH_PER = ("design", "product")


def check_option(flag: str, value: Any, ok: bool, expected: str) -> None:
    """Raise ``EvaluationError("FLAG VALUE: not valid (expected ...)")`` unless ``ok``."""
    if not ok:
        raise EvaluationError(f"{flag} {value}: not valid (expected {expected})")


def _workers(workers: int) -> None:
    check_option("--workers", workers, 0 <= workers <= 256, "an integer in [0, 256]")


def check_embed_options(batch_size: int, workers: int, per_product: str | None, input: str = "colour") -> None:
    """``skill embed``'s options (and the embedding part of ``skill eval``, ``compare`` and ``search``)."""
    check_option("--batch-size", batch_size, 1 <= batch_size <= 65536, "an integer in [1, 65536]")
    _workers(workers)
    check_option("--per-product", per_product, per_product in (None, *PER_PRODUCT), " or ".join(PER_PRODUCT))
    check_input(input)


def check_input(input: str) -> None:
    """``--input``: what the backbone is shown of each photo."""
    check_option("--input", input, input in INPUTS, " or ".join(INPUTS))


def check_eval_options(test_fraction: float | None, seed: int | None, entropy_k: int | None, workers: int,
                       per_product: str) -> None:
    """``skill eval``'s own options (``None``: the run's or the default value)."""
    if test_fraction is not None:
        check_option("--test-fraction", test_fraction, math.isfinite(test_fraction) and 0 < test_fraction < 1,
                     "a fraction strictly between 0 and 1")
    if seed is not None:
        check_option("--seed", seed, 0 <= seed < 2**32, "an integer in [0, 2^32)")
    if entropy_k is not None:
        check_option("--entropy-k", entropy_k, 2 <= entropy_k <= 10_000, "an integer in [2, 10000]")
    _workers(workers)
    check_option("--per-product", per_product, per_product in PER_PRODUCT, " or ".join(PER_PRODUCT))


def check_search_options(k: int, per: str, workers: int, input: str = "colour") -> None:
    """``skill search``'s options."""
    check_option("--k", k, 1 <= k <= 10_000, "an integer in [1, 10000]")
    check_option("--per", per, per in SEARCH_PER, " or ".join(SEARCH_PER))
    _workers(workers)
    check_input(input)
