"""A prepared catalogue: every photo's H(x) stored once, at the policy's source size.

H (the preprocessing) and the decoding of a 2000 px catalogue JPEG cost more than all the
views of a product together. Where H is deterministic, its result is the same every epoch,
so it can be computed once and stored at the source size (the working size, or larger for a
local set that zooms in: :attr:`skill_aug.Policy.source_size`), as pre-resized ImageNet copies
are. Training then reads the small JPEGs and skips H.

    >>> store = prepare(catalog, policy)               # writes ROOT/.skill-prepared/<key>/
    >>> store = PreparedStore.find(catalog, policy)    # None when absent
    >>> store.photo(path)                              # the prepared file, or None if stale

The cache lives beside the photos (``ROOT/.skill-prepared/`` for a folder catalogue,
``MANIFEST.skill-prepared/`` beside a manifest). Its key is a hash of H's ops and the
source size, so another policy never reads it. Each photo's entry records the source
file's size and modification time: a photo changed since is read from its source instead
(never silently stale). The whole store is written in a temporary folder and renamed into
place, so a run never sees a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import cv2
import numpy as np

from skill_aug.atomic import atomic_write_text, default_mode
from skill_aug.errors import ImageReadError, SkillAugError

__all__ = [
    "PREPARED_FOLDER", "PreparedStore", "deterministic_preprocess", "find_stores", "prepare", "preparation_key",
    "read_prepared",
]

#: Folder name of the cache beside a folder catalogue's products (hidden: never a product).
PREPARED_FOLDER = ".skill-prepared"
#: Version of the stored images (layout and how they are scaled); part of the key, so a new version
#: never reads an old one. 2: the whole-factor box + bilinear shrink; 3: stored at the source size.
FORMAT = 3
#: JPEG quality of the stored images: the difference to H(x) stays at resampling-noise level.
JPEG_QUALITY = 95
MANIFEST = "manifest.json"

#: albumentations ops that give the same output for the same input when ``p`` is 1.
DETERMINISTIC_ALBUMENTATIONS = frozenset({
    "CenterCrop", "Crop", "LongestMaxSize", "PadIfNeeded", "Resize", "SmallestMaxSize", "ToGray", "Normalize",
})


def preparation_key(policy: Any) -> str:
    """A short hash of what a prepared image depends on: H's ops, the source size, the layout."""
    what = {"format": FORMAT, "preprocess": [op.to_yaml() for op in policy.spec.preprocess],
            "source_size": policy.source_size}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:16]


def deterministic_preprocess(policy: Any) -> str | None:
    """Why ``policy``'s H cannot be prepared once (an op that draws), or ``None`` when it can.

    An op is deterministic when its ``p`` is 1 and it is a known deterministic albumentations
    op or its class says ``draws_nothing = True`` (the custom ops of H do; albumentations'
    own ``deterministic`` attribute means something else, replay).
    """
    registry = policy.registry
    for op in policy.spec.preprocess:
        if op.params.get("p") != 1:
            return f"{op.name} applies with p = {op.params.get('p')} (only p = 1 gives the same H(x) every epoch)"
        cls = registry.op_class(op.name)
        if not (getattr(cls, "draws_nothing", False) is True or op.name in DETERMINISTIC_ALBUMENTATIONS):
            return (f"{op.name} may draw random parameters (a custom op declares `draws_nothing = True` when it "
                    f"does not)")
    return None


def _store_root(catalog: Any) -> Path:
    source = Path(catalog.source)
    return source / PREPARED_FOLDER if source.is_dir() else source.with_name(source.name + PREPARED_FOLDER)


def _stamp(path: str | os.PathLike[str]) -> list[int]:
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns]


@dataclass
class PreparedStore:
    """An existing prepared catalogue for one policy: source photo → stored H(x) at the source size."""

    folder: Path
    key: str
    source_size: int
    entries: dict[str, dict[str, Any]]

    @classmethod
    def find(cls, catalog: Any, policy: Any) -> "PreparedStore | None":
        """The store of ``policy`` beside ``catalog``, or ``None`` when there is none (or it is unreadable)."""
        if catalog.source is None:
            return None
        folder = _store_root(catalog) / preparation_key(policy)
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or manifest.get("key") != folder.name \
                or not isinstance(manifest.get("photos"), dict):
            return None
        return cls(folder, folder.name, int(manifest["source_size"]), manifest["photos"])

    def __len__(self) -> int:
        return len(self.entries)

    def photo(self, source: str | os.PathLike[str]) -> Path | None:
        """The stored H(x) of ``source``, or ``None`` when it was not prepared or has changed since."""
        entry = self.entries.get(os.fspath(Path(source).resolve()))
        if entry is None:
            return None
        try:
            if _stamp(source) != entry["stamp"]:
                return None
        except OSError:
            return None
        return self.folder / entry["file"]

    def stale(self, sources: Iterable[str | os.PathLike[str]]) -> int:
        """How many of ``sources`` would be read from the source photo instead of the store."""
        return sum(self.photo(s) is None for s in sources)


def find_stores(catalog: Any, policies: Iterable[Any]) -> dict[str, PreparedStore]:
    """The stores beside ``catalog`` of those of ``policies`` that have one, by preparation key."""
    found = (PreparedStore.find(catalog, policy) for policy in policies)
    return {store.key: store for store in found if store is not None}


def prepare(catalog: Any, policy: Any, *, products: Iterable[int] | None = None,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Store H(x) of every photo of ``catalog`` (or of its ``products``, by index) at ``policy``'s
    source size; returns counts.

    Raises :class:`SkillAugError` when H draws random parameters (nothing is written then).
    Unreadable photos are skipped and counted, as training skips them. An existing store of
    the same key is replaced only once the new one is complete.
    """
    reason = deterministic_preprocess(policy)
    if reason:
        raise SkillAugError(f"policy {policy.spec.name!r}: its preprocessing cannot be prepared once: {reason}")
    if catalog.source is None:
        raise SkillAugError("only a catalogue opened from a folder or manifest can be prepared")
    root = _store_root(catalog)
    key = preparation_key(policy)
    root.mkdir(mode=default_mode(folder=True), exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    counts = {"photos": 0, "unreadable": 0, "bytes": 0}
    entries: dict[str, dict[str, Any]] = {}
    try:
        for index in range(len(catalog)) if products is None else products:
            for number, path in enumerate(catalog[index].paths):
                try:
                    image = policy.preprocess(
                        catalog.read_photos(index, [number], decode_size=policy.source_size).images[0])
                except (ImageReadError, SkillAugError):
                    counts["unreadable"] += 1
                    continue
                name = f"{index:08d}-{number:03d}.jpg"
                ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                                        [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
                                         cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
                if not ok:
                    raise SkillAugError(f"{path}: OpenCV could not encode its prepared image")
                (building / name).write_bytes(data.tobytes())
                entries[os.fspath(Path(path).resolve())] = {"file": name, "stamp": _stamp(path)}
                counts["photos"] += 1
                counts["bytes"] += int(data.size)
            if progress:
                progress(1)
        manifest = {"key": key, "format": FORMAT, "policy": policy.spec.name, "source_size": policy.source_size,
                    "preprocess": [op.to_yaml() for op in policy.spec.preprocess], "photos": entries}
        atomic_write_text(building / MANIFEST, json.dumps(manifest, indent=1, default=str))
        os.chmod(building, default_mode(folder=True))
        target = root / key
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{key}.old.", dir=root))
            os.replace(target, old / key)
            os.replace(building, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return {**counts, "folder": str(root / key), "key": key, "source_size": policy.source_size}


def read_prepared(path: Path) -> np.ndarray:
    """A stored H(x) as an RGB array (raises :class:`ImageReadError` when the file is damaged)."""
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageReadError(f"{path}: damaged prepared image (run `skill data prepare` again)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
