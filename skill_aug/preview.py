"""The preview grid: one row per sample — x′, x″, H(x′) at the source size, the G_h views, the G_l views."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from skill_aug.atomic import atomic_write_bytes
from skill_aug.policy import Policy

TILE = 128
LABEL_HEIGHT = 18
GAP = 4


def _tile(image: np.ndarray, label: str) -> np.ndarray:
    """``image`` fitted into a TILE×TILE square (letterboxed) with ``label`` above it."""
    h, w = image.shape[:2]
    scale = TILE / max(h, w)
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST)
    tile = np.full((TILE + LABEL_HEIGHT, TILE, 3), 255, np.uint8)
    top = LABEL_HEIGHT + (TILE - resized.shape[0]) // 2
    left = (TILE - resized.shape[1]) // 2
    tile[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
    cv2.putText(tile, label, (4, LABEL_HEIGHT - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (20, 20, 20), 1, cv2.LINE_AA)
    return tile


def preview_rows(
    policy: Policy, images: Sequence[np.ndarray], samples: int, seed: int
) -> list[list[tuple[str, np.ndarray]]]:
    """The labelled tiles of each row: ``x′``, ``x″``, ``H(x′)`` (labelled with its size), ``x1…``, ``y1…``."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(samples):
        # Like the dataset, each sample draws x′ and x″ as two distinct photos when it can.
        if len(images) >= 2:
            first, second = rng.choice(len(images), size=2, replace=False)
            pair = [images[first], images[second]]
        else:
            pair = [images[0]]
        views = policy(pair, rng=rng)
        working = policy.preprocess(pair[0])  # what A_i starts from: H(x′) at the source size
        row = [("x'", pair[0]), ("x''", pair[-1]), (f"H(x') {working.shape[1]}x{working.shape[0]}", working)]
        row += [(f"x{i + 1}", v) for i, v in enumerate(views.global_views)]
        row += [(f"y{i + 1}", v) for i, v in enumerate(views.local_views)]
        rows.append(row)
    return rows


def render_grid(rows: list[list[tuple[str, np.ndarray]]]) -> np.ndarray:
    """Tiles laid out row by row on a white canvas (RGB)."""
    width = max(len(r) for r in rows)
    cell_h, cell_w = TILE + LABEL_HEIGHT + GAP, TILE + GAP
    canvas = np.full((len(rows) * cell_h + GAP, width * cell_w + GAP, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, (label, image) in enumerate(row):
            y, x = GAP + r * cell_h, GAP + c * cell_w
            canvas[y:y + TILE + LABEL_HEIGHT, x:x + TILE] = _tile(image, label)
    return canvas


def write_preview(
    policy: Policy, images: Sequence[np.ndarray], out: Path, samples: int = 4, seed: int = 0
) -> Path:
    """Render the grid for ``images`` (one product's photos) and write it as a PNG."""
    grid = render_grid(preview_rows(policy, images, samples, seed))
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("OpenCV could not encode the preview PNG")
    atomic_write_bytes(Path(out), encoded.tobytes())
    return Path(out)
