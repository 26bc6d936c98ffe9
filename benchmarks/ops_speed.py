"""Speed of the custom ops and of each installed product type's local set, on one thread.

    python benchmarks/ops_speed.py                     # at the working sizes: 166 (CPU preset), 496 (paper)
    python benchmarks/ops_speed.py --sizes 224 --json ops_speed.json

Rows ``op:<Name>`` time one custom op applied every call (p forced to 1), and
albumentations' ``Illumination`` beside ``FastIllumination`` in each mode; rows
``<type>:<Name>`` time each op of a product type's local set with its own arguments, applied
every call (p forced to 1); rows ``local:<type>`` time the whole local set A_i as registered
(each op with its own p) on an already preprocessed (H) square photo — what each source
photo pays once per product (twice with ``local_set_draws: per_view``'s 2 + c views).
Photos are at the policies' working sizes (166 px for the CPU preset's views, 496 px for the
paper's). Figures are milliseconds per call (lower is better).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import albumentations as A
import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from skill_aug.atomic import atomic_write_text
from skill_aug.ops import CUSTOM_OPS
from skill_aug.plugins import get_registry


def catalogue_photo(size: int) -> np.ndarray:
    """A checked product on a light background, taller than wide, ``size`` px high."""
    rng = np.random.default_rng(0)
    img = np.full((size, size * 3 // 4, 3), 242, np.uint8)
    y0, y1, x0, x1 = size // 10, size * 9 // 10, size // 6, size * 3 // 4 - size // 6
    yy, xx = np.mgrid[y0:y1, x0:x1]
    img[y0:y1, x0:x1] = np.where(((yy // 12 + xx // 12) % 2)[..., None] == 1, (150, 40, 60), (30, 90, 160))
    noise = rng.integers(-6, 7, img[y0:y1, x0:x1].shape)
    img[y0:y1, x0:x1] = np.clip(img[y0:y1, x0:x1].astype(int) + noise, 0, 255).astype(np.uint8)
    return img


def ms_per_call(pipeline: A.Compose, image: np.ndarray, min_seconds: float = 0.3) -> float:
    """Mean milliseconds per call, repeating for at least ``min_seconds``."""
    pipeline(image=image)
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        pipeline(image=image)
        calls += 1
    return 1000 * elapsed / max(calls, 1)


def build(registry, spec) -> A.BasicTransform:
    return registry.op_class(spec.name)(**spec.params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[166, 496], help="photo heights in px")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    registry = get_registry()
    rows: dict[str, dict[str, float]] = {}
    for size in args.sizes:
        photo = catalogue_photo(size)
        for cls in CUSTOM_OPS:
            op = cls(p=1.0)
            image = cv2.resize(photo, (size, size)) if cls.__name__ == "FoldShading" else photo
            rows.setdefault(f"op:{cls.__name__}", {})[str(size)] = ms_per_call(A.Compose([op], seed=0), image)
        for mode in ("linear", "corner", "gaussian"):  # FastIllumination beside the op it replaces
            for cls in (A.Illumination, registry.op_class("FastIllumination")):
                rows.setdefault(f"op:{cls.__name__}({mode})", {})[str(size)] = ms_per_call(
                    A.Compose([cls(mode=mode, p=1.0)], seed=0), photo)
        for name, product_type in sorted(registry.product_types.items()):
            preprocess = A.Compose([build(registry, s) for s in product_type.preprocess], seed=0)
            square = preprocess(image=photo)["image"]
            for spec in product_type.local_set:
                always = type(spec)(spec.name, {**spec.params, "p": 1.0})
                rows.setdefault(f"{name}:{spec.name}", {})[str(size)] = ms_per_call(
                    A.Compose([build(registry, always)], seed=0), square)
            local = A.Compose([build(registry, s) for s in product_type.local_set], seed=0)
            rows.setdefault(f"local:{name}", {})[str(size)] = ms_per_call(local, square)

    table = Table(title="ms per call, one thread")
    table.add_column("what")
    for size in args.sizes:
        table.add_column(f"{size} px", justify="right")
    for what, figures in rows.items():
        table.add_row(what, *(f"{figures[str(s)]:.2f}" for s in args.sizes))
    Console().print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
