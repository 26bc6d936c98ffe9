"""PNG figures drawn with OpenCV and numpy (no matplotlib): a labelled bar chart, 2-D maps
of embeddings coloured by a label, and image strips.

    >>> bar_chart(["DINO", "SkiLL"], [0.91, 1.02], "colour entropy (nats)", "bars.png")
    >>> xy = project_2d(embeddings, "pca")
    >>> write_png("map.png", scatter_panel(xy, labels, colours, "SkiLL by colour"))
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np

from skill_aug.atomic import atomic_write_bytes
from skill_train.eval.errors import EvaluationError

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
INK = (30, 30, 30)
#: Distinct categorical colours (RGB) for labels without a colour of their own.
CATEGORICAL = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
    (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207), (174, 199, 232), (255, 187, 120),
    (152, 223, 138), (255, 152, 150), (197, 176, 213), (196, 156, 148), (247, 182, 210), (199, 199, 199),
    (219, 219, 141), (158, 218, 229),
]


def write_png(path: str | os.PathLike[str], rgb: np.ndarray) -> Path:
    """Write an RGB image as PNG atomically."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise EvaluationError(f"{path}: could not encode the PNG")
    return atomic_write_bytes(path, data.tobytes())


def text(img: np.ndarray, s: str, org: tuple[int, int], scale: float = 0.45, color=INK, thickness: int = 1,
         anchor: str = "left") -> None:
    """Draw ``s`` with its baseline at ``org``; ``anchor`` left, center or right."""
    (w, _), _ = cv2.getTextSize(s, FONT, scale, thickness)
    x = org[0] - (w // 2 if anchor == "center" else w if anchor == "right" else 0)
    cv2.putText(img, s, (int(x), int(org[1])), FONT, scale, color, thickness, cv2.LINE_AA)


def bar_chart(labels: Sequence[str], values: Sequence[float | None], ylabel: str, path: str | os.PathLike[str],
              title: str = "", width: int = 720, height: int = 420) -> Path:
    """A vertical bar per label with its value written above it; None draws no bar ("n/a")."""
    if not labels:
        raise EvaluationError("a bar chart needs at least one bar")
    img = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 70, 20, 50, 70
    finite = [v for v in values if v is not None]
    vmax = max(finite) * 1.15 if finite and max(finite) > 0 else 1.0
    plot_h, plot_w = height - top - bottom, width - left - right
    if title:
        text(img, title, (width // 2, 28), 0.6, anchor="center", thickness=2)
    for i in range(5):  # gridlines and y ticks
        v = vmax * i / 4
        y = top + plot_h - int(plot_h * i / 4)
        cv2.line(img, (left, y), (width - right, y), (225, 225, 225), 1)
        text(img, f"{v:.2f}", (left - 8, y + 4), 0.4, anchor="right")
    cv2.line(img, (left, top), (left, top + plot_h), INK, 1)
    cv2.line(img, (left, top + plot_h), (width - right, top + plot_h), INK, 1)
    text(img, ylabel, (12, top - 14), 0.45)
    slot = plot_w / len(labels)
    for i, (label, value) in enumerate(zip(labels, values)):
        x0 = int(left + slot * i + slot * 0.18)
        x1 = int(left + slot * (i + 1) - slot * 0.18)
        cx = (x0 + x1) // 2
        if value is None:
            text(img, "n/a", (cx, top + plot_h - 6), 0.45, anchor="center")
        else:
            y = top + plot_h - int(plot_h * value / vmax)
            cv2.rectangle(img, (x0, y), (x1, top + plot_h), CATEGORICAL[i % len(CATEGORICAL)], -1)
            text(img, f"{value:.3f}", (cx, y - 6), 0.45, anchor="center")
        text(img, label, (cx, top + plot_h + 22), 0.45, anchor="center")
    return write_png(path, img)


def line_chart(series: Mapping[str, Sequence[tuple[float, float]]], xlabel: str, ylabel: str, title: str = "",
               width: int = 560, height: int = 380) -> np.ndarray:
    """One line (with dots) per named series of (x, y) points, a legend at the right; an RGB image."""
    points = [p for values in series.values() for p in values]
    if not points:
        raise EvaluationError("a line chart needs at least one point")
    img = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 60, 170, 46, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    x_lo, x_hi = 0.0, max(x for x, _ in points) or 1.0
    y_lo, y_hi = 0.0, max(y for _, y in points) * 1.1 or 1.0

    def at(x: float, y: float) -> tuple[int, int]:
        return int(left + plot_w * (x - x_lo) / (x_hi - x_lo)), int(top + plot_h - plot_h * (y - y_lo) / (y_hi - y_lo))

    if title:
        text(img, title, (left + plot_w // 2, 26), 0.5, anchor="center", thickness=2)
    for i in range(5):
        v = y_lo + (y_hi - y_lo) * i / 4
        y = at(x_lo, v)[1]
        cv2.line(img, (left, y), (left + plot_w, y), (225, 225, 225), 1)
        text(img, f"{v:.0f}", (left - 8, y + 4), 0.4, anchor="right")
    cv2.line(img, (left, top), (left, top + plot_h), INK, 1)
    cv2.line(img, (left, top + plot_h), (left + plot_w, top + plot_h), INK, 1)
    text(img, f"{x_hi:g}", (left + plot_w, top + plot_h + 18), 0.4, anchor="right")
    text(img, xlabel, (left + plot_w // 2, top + plot_h + 36), 0.42, anchor="center")
    text(img, ylabel, (8, top - 12), 0.42)
    for i, (name, values) in enumerate(series.items()):
        colour = CATEGORICAL[i % len(CATEGORICAL)]
        pixels = [at(x, y) for x, y in sorted(values)]
        for a, b in zip(pixels, pixels[1:]):
            cv2.line(img, a, b, colour, 2, cv2.LINE_AA)
        for point in pixels:
            cv2.circle(img, point, 3, colour, -1, cv2.LINE_AA)
        y = top + 10 + 20 * i
        cv2.line(img, (left + plot_w + 14, y - 4), (left + plot_w + 34, y - 4), colour, 3)
        text(img, name, (left + plot_w + 40, y), 0.4)
    return img


def project_2d(x: np.ndarray, kind: str = "pca", seed: int = 0) -> np.ndarray:
    """2-D coordinates of L2-normalised rows by PCA or t-SNE (scikit-learn)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    from skill_train.eval.metrics import l2_normalize

    x = l2_normalize(x).astype(np.float64)
    if kind == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if kind == "tsne":
        perplexity = float(min(30.0, max(2.0, (len(x) - 1) / 3)))
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    raise EvaluationError(f"map kind {kind!r} is not valid (pca or tsne)")


def label_colors(labels: Sequence[str], named: Mapping[str, tuple[int, int, int]] | None = None) -> dict[str, tuple[int, int, int]]:
    """A colour per distinct label: its own colour when ``named`` has it, else a categorical one."""
    out: dict[str, tuple[int, int, int]] = {}
    for i, label in enumerate(sorted(set(labels))):
        out[label] = tuple(named[label]) if named and label in named else CATEGORICAL[i % len(CATEGORICAL)]
    return out


def scatter_panel(xy: np.ndarray, labels: Sequence[str], colors: Mapping[str, tuple[int, int, int]], title: str,
                  size: int = 320) -> np.ndarray:
    """One square scatter plot of ``xy`` with a dot per row in its label's colour."""
    img = np.full((size + 28, size, 3), 255, np.uint8)
    text(img, title, (size // 2, 19), 0.5, anchor="center")
    cv2.rectangle(img, (0, 28), (size - 1, size + 27), (210, 210, 210), 1)
    if len(xy):
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        pts = ((xy - lo) / span * (size - 20) + 10).astype(int)
        for (px, py), label in zip(pts, labels):
            color = colors[label]
            cv2.circle(img, (int(px), int(28 + size - py)), 3, color, -1, cv2.LINE_AA)
            cv2.circle(img, (int(px), int(28 + size - py)), 3, (90, 90, 90), 1, cv2.LINE_AA)
    return img


def legend(colors: Mapping[str, tuple[int, int, int]], height: int, title: str, width: int = 150) -> np.ndarray:
    """A column of colour swatches with their labels."""
    img = np.full((height, width, 3), 255, np.uint8)
    text(img, title, (6, 19), 0.5)
    for i, (label, color) in enumerate(colors.items()):
        y = 40 + i * 18
        if y > height - 4:
            text(img, "...", (6, y), 0.45)
            break
        cv2.rectangle(img, (6, y - 10), (18, y + 2), color, -1)
        cv2.rectangle(img, (6, y - 10), (18, y + 2), (90, 90, 90), 1)
        text(img, label, (24, y), 0.42)
    return img


def grid(rows: Sequence[Sequence[np.ndarray]], pad: int = 6) -> np.ndarray:
    """Images laid out in rows (each row's images side by side), on white."""
    row_imgs = []
    for row in rows:
        h = max(im.shape[0] for im in row)
        padded = [np.pad(im, ((0, h - im.shape[0]), (0, pad), (0, 0)), constant_values=255) for im in row]
        row_imgs.append(np.concatenate(padded, axis=1))
    w = max(r.shape[1] for r in row_imgs)
    return np.concatenate(
        [np.pad(r, ((0, pad), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in row_imgs], axis=0
    )


def thumbnail(image: np.ndarray, size: int, caption: Sequence[str] = ()) -> np.ndarray:
    """``image`` fitted into a ``size`` square on white, with caption lines under it."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    tile = np.full((size + 16 * len(caption) + 4, size, 3), 255, np.uint8)
    y0, x0 = (size - resized.shape[0]) // 2, (size - resized.shape[1]) // 2
    tile[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    for i, line in enumerate(caption):
        text(tile, line, (size // 2, size + 14 + 16 * i), 0.38, anchor="center")
    return tile
