"""The comparison's figures: colour entropy per row (bar chart), 2-D maps of each row's
product embeddings coloured by pattern and by colour, so colour invariance can be *seen*
(a colour-agnostic embedding mixes the colours within every region of its map), and each
row's learning curve (held-out k-NN while training). An ablation's figure is its ranking:
a horizontal bar per ablation with its interval as a whisker."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from skill_train.eval.colors import PALETTE
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.evaluate import row_colors
from skill_train.eval.plots import (
    INK, bar_chart, grid, label_colors, legend, line_chart, project_2d, scatter_panel, text, write_png,
)

MAX_MAP_POINTS = 1500


def _named_colours() -> dict[str, tuple[int, int, int]]:
    """Colour names drawn in their own colour: ours, then the synthetic catalogue's palette."""
    named = dict(PALETTE)
    try:
        from skill_aug.synth import PALETTE as SYNTH_PALETTE

        named.update(SYNTH_PALETTE)
    except ImportError:  # the synthetic catalogue is optional for this figure
        pass
    return named


def entropy_chart(out: Path, labelled: Sequence[tuple[str, dict]]) -> Path:
    """Bar chart of the mean per-cluster colour entropy of every row (paper Fig. 7)."""
    k = labelled[0][1]["color_entropy"]["k"]
    return bar_chart(
        [label for label, _ in labelled],
        [result["color_entropy"]["value"] for _, result in labelled],
        "nats",
        out / "color_entropy.png",
        title=f"Colour entropy of k-means clusters (K={k}); higher = more colour-agnostic",
        width=max(640, 130 * len(labelled)),
    )


def embedding_maps(out: Path, labelled: Sequence[tuple[str, dict]], tables: Sequence[EmbeddingTable], catalog: Any,
                   kind: str = "pca", seed: int = 0) -> Path:
    """One row of panels per method: its per-product embeddings in 2-D, by pattern and by colour."""
    attributes = {p.product_id: dict(p.attributes) for p in catalog}
    panels = []
    pattern_colors = colour_colors = None
    for (label, _), table in zip(labelled, tables):
        products = table.mean_per_product()
        if len(products) > MAX_MAP_POINTS:
            keep = np.sort(np.random.default_rng(seed).choice(len(products), MAX_MAP_POINTS, replace=False))
            products = EmbeddingTable(products.product_id[keep], products.path[keep], products.embedding[keep])
        xy = project_2d(products.embedding, kind, seed)
        patterns = [attributes[pid].get("pattern", "?") for pid in products.product_id]
        colours = [c or "?" for c in row_colors(products, catalog, attributes)[0]]
        pattern_colors = pattern_colors or label_colors(list({a.get("pattern", "?") for a in attributes.values()}))
        colour_colors = colour_colors or label_colors(list(set(colours)), _named_colours())
        panels.append([scatter_panel(xy, patterns, pattern_colors, f"{label}: by pattern"),
                       scatter_panel(xy, colours, colour_colors, f"{label}: by colour")])
    height = panels[0][0].shape[0]
    panels[0] += [legend(pattern_colors, height, "pattern"), legend(colour_colors, height, "colour")]
    return write_png(out / "map.png", grid(panels))


def write_figures(out: Path, labelled: Sequence[tuple[str, dict]], tables: Sequence[EmbeddingTable], catalog: Any,
                  map_kind: str = "pca", seed: int = 0) -> dict[str, Path]:
    """Both figures; returns their paths by name."""
    return {
        "color_entropy": entropy_chart(out, labelled),
        "map": embedding_maps(out, labelled, tables, catalog, map_kind, seed),
    }


def curve_series(curves: Sequence[tuple[str, Sequence[Sequence[dict]]]]) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Per attribute, per row label: (epoch, k-NN %) points, the mean over the row's seeds at each epoch.

    ``curves``: (row label, one curve per seed, as :func:`skill_train.run.log.knn_curve` reads it);
    rows and seeds that logged no check add nothing.
    """
    series: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for label, runs in curves:
        by_epoch: dict[str, dict[float, list[float]]] = {}
        for curve in runs:
            for point in curve:
                for attribute, value in point.items():
                    if attribute not in ("step", "epoch") and isinstance(value, (int, float)):
                        by_epoch.setdefault(attribute, {}).setdefault(float(point["epoch"]), []).append(100 * value)
        for attribute, points in by_epoch.items():
            series.setdefault(attribute, {})[label] = [(e, float(np.mean(v))) for e, v in sorted(points.items())]
    return series


def learning_curves(path: Path, curves: Sequence[tuple[str, Sequence[Sequence[dict]]]]) -> Path | None:
    """Held-out k-NN accuracy against epoch for every row that logged it (``--eval-every``), one
    panel per attribute (:func:`curve_series`); ``None`` when no row logged a check."""
    series = curve_series(curves)
    if not series:
        return None
    panels = [line_chart(rows, "epoch", "k-NN %", f"held-out {attribute} k-NN while training")
              for attribute, rows in series.items()]
    return write_png(path, grid([panels]))


GAIN, LOSS = (44, 160, 44), (214, 39, 40)


def _ranking_panel(labels: Sequence[str] | None, figures: Sequence[dict], title: str, row_h: int = 30,
                   label_w: int = 0, plot_w: int = 260) -> np.ndarray:
    """One figure's bars (mean, percentage points) from a zero line, whiskers from low to high."""
    top, bottom, pad = 44, 34, 16
    width = label_w + plot_w + 2 * pad
    img = np.full((top + row_h * len(figures) + bottom, width, 3), 255, np.uint8)
    points = [100 * v for f in figures for v in (f["mean"], f["low"], f["high"]) if v is not None]
    lo, hi = min([0.0, *points]), max([0.0, *points])
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.08 * span, hi + 0.08 * span

    def x(value: float) -> int:
        return int(label_w + pad + plot_w * (100 * value - lo) / (hi - lo))

    text(img, title, (label_w + pad + plot_w // 2, 24), 0.5, anchor="center", thickness=2)
    zero = int(label_w + pad + plot_w * -lo / (hi - lo))
    for i, figure in enumerate(figures):
        y = top + row_h * i + row_h // 2
        if labels is not None:
            text(img, labels[i], (label_w - 4, y + 5), 0.42, anchor="right")
        if figure["mean"] is None:
            text(img, "n/a", (zero + 4, y + 5), 0.42)
            continue
        cv2.rectangle(img, (min(zero, x(figure["mean"])), y - row_h // 3), (max(zero, x(figure["mean"])), y + row_h // 3),
                      GAIN if figure["mean"] >= 0 else LOSS, -1)
        if figure["low"] is not None:
            cv2.line(img, (x(figure["low"]), y), (x(figure["high"]), y), INK, 1)
            for end in (figure["low"], figure["high"]):
                cv2.line(img, (x(end), y - 5), (x(end), y + 5), INK, 1)
    cv2.line(img, (zero, top - 4), (zero, top + row_h * len(figures)), INK, 1)
    base = top + row_h * len(figures) + 20
    text(img, f"{lo:+.1f}", (label_w + pad, base), 0.4)
    text(img, f"{hi:+.1f}", (label_w + pad + plot_w, base), 0.4, anchor="right")
    text(img, "full - without (points)", (label_w + pad + plot_w // 2, base), 0.4, anchor="center")
    return img


def ranking_chart(path: Path, report: dict) -> Path:
    """The ablation ranking as horizontal bars, one panel per figure (full − without, in points;
    green: the op helps, red: it costs), whiskers the 95 % interval (none with one seed)."""
    entries = report["ranking"]
    labels = [entry["label"] for entry in entries]
    label_w = 16 + max(cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.42, 1)[0][0] for label in labels)
    panels = [_ranking_panel(labels if i == 0 else None, [entry["metrics"][key] for entry in entries], metric["label"],
                             label_w=label_w if i == 0 else 0)
              for i, (key, metric) in enumerate(report["metrics"].items())]
    return write_png(path, grid([panels]))
