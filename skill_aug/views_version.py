"""Which version of the view pipeline drew a run's views, and which later changes alter a policy's.

A policy file names the ops; the code that runs them can still change what they draw for the
same file (on 2026-12-04 close-ups began to be cut from the source size, with a window floor).
A trainer records :data:`VIEWS_VERSION` with each run, and before reusing or resuming one asks
:func:`changes_since` whether anything since then changes the views of the run's policies:

    >>> changes_since(1, [policy])    # [] when the policy has no zooming op
    [ViewsChange(version=2, ...)]

Each change says which policies it alters, so a run is refused only where its views would
differ: a policy without a zooming op draws today what it drew before the source size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from skill_aug.policy import Policy

#: The view pipeline's version now. A run that recorded none was drawn by version 1.
VIEWS_VERSION = 2


@dataclass(frozen=True)
class ViewsChange:
    """One change of the view pipeline: the version it starts, when, what, and whose views it alters."""

    version: int
    date: str
    what: str
    alters: Callable[[Policy], bool]


#: Every change since version 1, oldest first.
CHANGES: tuple[ViewsChange, ...] = (
    ViewsChange(
        2, "2026-12-04",
        "close-ups cut from H(x) at the source size, never from fewer pixels than the working size",
        lambda policy: policy.last_zooming_op is not None,
    ),
)


def changes_since(version: int, policies: Iterable[Policy]) -> list[ViewsChange]:
    """The changes after ``version`` that alter the views of any of ``policies``, oldest first."""
    policies = list(policies)
    return [c for c in CHANGES if c.version > version and any(c.alters(p) for p in policies)]
