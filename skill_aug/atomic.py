"""Atomic file writes: a temporary file in the same folder, then ``os.replace``.

    >>> atomic_write_text(run / "summary.json", text)
    >>> atomic_write(run / "checkpoint.pt", lambda tmp: torch.save(state, tmp))   # any writer

Readers see the old file or the new one, never half of one; an interrupted write leaves
no temporary file behind. The new file gets the usual permissions (``0o666`` less the
umask), not the private ``0o600`` of a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from skill_aug.errors import OutputError


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; put it back at once
    os.umask(mask)
    return mask


# Read once: os.umask changes a process-wide setting, which a write per file must not race.
_UMASK = _read_umask()


def default_mode(folder: bool = False) -> int:
    """The permissions a new file (``0o666``) or folder (``0o777``) gets under the process umask."""
    return (0o777 if folder else 0o666) & ~_UMASK


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    ``write`` receives the temporary path (its suffix is ``path``'s, so writers that pick a
    format from the suffix, such as ``cv2.imwrite`` or ``np.savez``, behave as for ``path``).
    """
    path = Path(path)
    check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as err:
        raise OutputError(f"{path}: cannot write here ({err.strerror or err})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_writable(path: str | os.PathLike[str], flag: str = "") -> Path:
    """Raise :class:`OutputError` (one line naming ``flag`` and ``path``) unless a file can be written at ``path``:
    it is not a folder, no file stands where a parent folder should be, and the nearest existing folder is writable.

    Call it before the work whose result goes there; :func:`atomic_write` calls it too.
    """
    path = Path(path)
    label = f"{flag} {path}" if flag else str(path)
    if path.is_dir():
        raise OutputError(f"{label}: is a folder; give a file path")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{label}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{label}: {parent} is not writable")
    return path
