"""The comparison's figures: colour entropy per row (bar chart) and 2-D maps of each row's
product embeddings coloured by pattern and by colour, so colour invariance can be *seen*:
a colour-agnostic embedding mixes the colours within every region of its map."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from skill_train.eval.colors import PALETTE
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.evaluate import row_colors
from skill_train.eval.plots import bar_chart, grid, label_colors, legend, project_2d, scatter_panel, write_png

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
