"""Writing the synthetic catalogue to disk (atomically) and the cached default catalogue.

The folder form that :class:`skill_aug.catalog.Catalog` opens (:mod:`skill_aug.catalog_formats`)::

    OUT/<product_id>/00.png, 01.png, ...      4-8 photos of one product (RGB PNG)
    OUT/attributes.csv                        product_id, category, pattern, color, accent,
                                              design_id, then the task's attributes
    OUT/synth.json                            how it was made (generator version, arguments)
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from skill_aug.atomic import default_mode
from skill_aug.errors import SkillAugError
from skill_aug.synth.plan import plan_catalog, plan_one, task_slug
from skill_aug.synth.product import ProductPlan, render_canonical
from skill_aug.synth.shoot import Photo, photograph
from skill_aug.synth.silhouettes import Silhouette, silhouette_for

SYNTH_VERSION = 1
DEFAULT_PRODUCTS = 600
#: Most products one request may ask for (about 6 million photos; a typo's 10^12 would never end).
MAX_PRODUCTS = 1_000_000
# Fast PNG: "up" filter + Huffman-only coding encodes twice as fast as zlib's default for
# ~15 % larger files (noisy 128 px photos barely compress either way).
_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY,
        cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]


class SynthError(SkillAugError):
    """Bad arguments for the synthetic catalogue, or an output folder that cannot be used."""


def render_plan(plan: ProductPlan, silhouette: Silhouette, size: int) -> list[Photo]:
    """All photos of one planned product at ``size`` px (deterministic in ``plan.seed``)."""
    rng = np.random.default_rng(plan.seed)
    canon = render_canonical(plan, silhouette, 2 * size, rng)
    return [photograph(canon, i, size, rng) for i in range(plan.n_photos)]


def render_product(task: str, seed: int, size: int = 128, n_photos: int = 4,
                   silhouette: str | None = None) -> tuple[list[np.ndarray], dict[str, str]]:
    """Photos (H x W x 3 uint8 RGB) and attributes of one random product of ``task``, in memory.

    For previews: any pattern, colour and cut, chosen by ``seed``. The shape is
    :func:`~skill_aug.synth.silhouettes.silhouette_for` ``(task, silhouette)``.
    """
    _check_args(task, 1, size, n_photos, n_photos, silhouette)
    if len(split_tasks(task)) > 1:
        raise SynthError(f"task {task!r}: a single product is of one product type")
    sil = silhouette_for(task, silhouette)
    plan = plan_one(task, seed, sil, n_photos)
    return [p.image for p in render_plan(plan, sil, size)], _row(plan, task)


def _row(plan: ProductPlan, task: str) -> dict[str, str]:
    d = plan.design
    return {"product_id": plan.product_id, "category": task, "pattern": d.pattern,
            "color": plan.colorway.ground, "accent": plan.colorway.accent_name,
            "design_id": d.design_id, **d.attributes}


def split_tasks(task: str) -> list[str]:
    """The product types of ``--task``: one name, or several comma-separated (a mixed catalogue)."""
    tasks = [t.strip() for t in (task or "").split(",")]
    for name in tasks:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
            raise SynthError(f"task {task!r}: use letters, digits, '-' or '_' (e.g. 'dress', 'wall-art'), "
                             "several separated by commas (e.g. 'dress,shirt,shoes')")
    if len(set(tasks)) < len(tasks):
        raise SynthError(f"task {task!r}: a product type is named twice")
    return tasks


def _products_per_task(tasks: list[str], products: int) -> list[int]:
    """``products`` split as evenly as possible over ``tasks`` (the first ones get the remainder)."""
    return [products // len(tasks) + (1 if k < products % len(tasks) else 0) for k in range(len(tasks))]


def _check_args(task: str, products: int, size: int, photos_min: int, photos_max: int,
                silhouette: str | None = None) -> None:
    tasks = split_tasks(task)
    if not 1 <= products <= MAX_PRODUCTS:
        raise SynthError(f"products={products}: need an integer in [1, {MAX_PRODUCTS:,}]")
    if products < len(tasks):
        raise SynthError(f"products={products}: need at least one product per type ({len(tasks)} types)")
    if not 32 <= size <= 1024:
        raise SynthError(f"size={size}: must be between 32 and 1024 px")
    if not 1 <= photos_min <= photos_max <= 32:
        raise SynthError(f"photos {photos_min}..{photos_max}: need 1 <= photos-min <= photos-max <= 32")
    if silhouette:
        silhouette_for(tasks[0], silhouette)  # an unknown name is one SynthError listing the choices


def check_request(task: str, products: int, out: Path | str, size: int = 128,
                  photos_min: int = 4, photos_max: int = 8, silhouette: str | None = None) -> None:
    """Raise :class:`SynthError` (one line) if :func:`write_catalog` would refuse these arguments."""
    _check_args(task, products, size, photos_min, photos_max, silhouette)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SynthError(f"{out}: already exists and is not an empty folder; choose a new --out")


def write_catalog(task: str = "dress", products: int = DEFAULT_PRODUCTS, out: Path | str = "catalog",
                  seed: int = 0, size: int = 128, *, photos_min: int = 4, photos_max: int = 8,
                  silhouette: str | None = None,
                  progress: Callable[[int], None] | None = None) -> dict:
    """Write a synthetic catalogue of ``products`` products of ``task`` to ``out``; return stats.

    ``task`` may name several product types, comma-separated (``"dress,shirt,shoes"``): the
    products are split evenly over them, each drawn with its own silhouette, and the
    ``category`` column says which type each product is (a mixed catalogue).
    Built in a temporary folder beside ``out`` and renamed into place, so ``out`` either
    does not exist or is complete. ``out`` may be missing or an empty folder; anything else
    is refused. Same arguments give byte-identical files. ``silhouette`` names a built-in
    shape to use instead of :func:`~skill_aug.synth.silhouettes.silhouette_for`'s choice
    (the task's own shape, else the one its plugin declares, else ``generic``).
    ``progress(n)`` is called after each product with the number done.
    """
    check_request(task, products, out, size, photos_min, photos_max, silhouette)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tasks = split_tasks(task)
    shapes = {t: silhouette_for(t, silhouette) for t in tasks}
    start = time.perf_counter()
    # (type, plan) per product; the k-th type plans with seed + k (one type: exactly as before)
    plans = [(t, plan) for k, (t, n) in enumerate(zip(tasks, _products_per_task(tasks, products)))
             for plan in plan_catalog(t, n, shapes[t], seed=seed + k, photos=(photos_min, photos_max))]
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    os.chmod(tmp, default_mode(folder=True))  # mkdtemp's folder is private (0700); the catalogue is not
    try:
        rows, images = [], 0
        for n, (product_task, plan) in enumerate(plans, 1):
            folder = tmp / plan.product_id
            folder.mkdir()
            for i, photo in enumerate(render_plan(plan, shapes[product_task], size)):
                path = folder / f"{i:02d}.png"
                if not cv2.imwrite(str(path), cv2.cvtColor(photo.image, cv2.COLOR_RGB2BGR), _PNG):
                    raise SynthError(f"{path}: could not write the PNG")
                images += 1
            rows.append(_row(plan, product_task))
            if progress is not None:
                progress(n)
        shape_columns = list(dict.fromkeys(a for t in tasks for a in shapes[t].attributes))
        columns = ["product_id", "category", "pattern", "color", "accent", "design_id", *shape_columns]
        with open(tmp / "attributes.csv", "w", newline="", encoding="utf-8") as f:
            # a mixed catalogue leaves another type's attributes empty (e.g. a shoe has no sleeve)
            writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", restval="")
            writer.writeheader()
            writer.writerows(rows)
        meta = {"generator": "skill_aug.synth", "version": SYNTH_VERSION, "task": task,
                "silhouette": ",".join(shapes[t].name for t in tasks), "products": products,
                **({"types": dict(Counter(r["category"] for r in rows))} if len(tasks) > 1 else {}),
                "seed": seed, "size": size,
                "photos_min": photos_min, "photos_max": photos_max, "images": images,
                "designs": len({r["design_id"] for r in rows})}
        (tmp / "synth.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty, checked above; rename cannot replace a non-empty folder
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - start
    return {**meta, "out": str(out), "seconds": round(seconds, 3),
            "images_per_s": round(images / max(seconds, 1e-9), 1),
            "patterns": dict(sorted(Counter(r["pattern"] for r in rows).items())),
            "colors": dict(sorted(Counter(r["color"] for r in rows).items()))}


def cache_root() -> Path:
    """Where cached catalogues live: ``$SKILL_AUG_CACHE`` or ``~/.cache/skill-aug``, then ``synth/v<N>``."""
    base = os.environ.get("SKILL_AUG_CACHE") or Path.home() / ".cache" / "skill-aug"
    return Path(base) / "synth" / f"v{SYNTH_VERSION}"


def default_catalog(task: str, products: int | None = None, size: int = 128, seed: int = 0) -> Path:
    """The default catalogue of ``task``: built once, then reused from the cache.

    ``products`` defaults to :data:`DEFAULT_PRODUCTS` (600): with 4-8 photos each that is
    about 3,600 photos (about 25 s to build on one core), enough designs (about 150, a
    dozen per pattern class) for a design-split evaluation, and small enough that a
    default CPU training epoch stays short. The folder is
    ``cache_root()/<task>-p<products>-s<size>-seed<seed>``; concurrent builders are safe
    (each builds beside it and the first rename wins).
    """
    products = DEFAULT_PRODUCTS if products is None else products
    path = cache_root() / f"{task_slug(task)}-p{products}-s{size}-seed{seed}"
    if (path / "attributes.csv").is_file():
        return path
    try:
        write_catalog(task, products, path, seed=seed, size=size)
    except (SynthError, OSError):
        if not (path / "attributes.csv").is_file():  # not just another process winning the race
            raise
    return path
