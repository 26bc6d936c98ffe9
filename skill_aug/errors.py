"""Errors the core raises, each with a one-line, user-facing message, and the catalogue's warning."""

from __future__ import annotations


def first_line(text: str | None) -> str:
    """The line of ``text`` that says what happened: its first non-empty line, or, for an error a
    DataLoader worker re-raised (whose message holds the worker's traceback), the original one."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if any(line.startswith("Original Traceback") for line in lines):
        return lines[-1]
    return lines[0] if lines else ""


class SkillAugError(Exception):
    """Base class: anything the CLI reports as one line and a non-zero exit."""


class PolicyError(SkillAugError):
    """A policy file is invalid; ``problems`` holds one ``FILE:LINE: message`` per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class PluginError(SkillAugError):
    """A plugin is broken in a way that makes the registry ambiguous (e.g. two owners of a type)."""


class UnknownProductType(SkillAugError):
    """A task / product type that no loaded plugin registers."""


class ImageReadError(SkillAugError):
    """An image file that cannot be decoded (zero bytes, truncated, not an image, ...)."""


class CatalogError(SkillAugError):
    """A catalogue folder, manifest or attributes file that cannot be used as given."""


class OutputError(SkillAugError):
    """An output path that cannot be written (a folder, under a file, or not writable)."""


class CatalogWarning(UserWarning):
    """Something in a catalogue was skipped (empty product folders, unreadable photos)."""
