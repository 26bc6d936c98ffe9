"""Reports for people (rich tables and Markdown, laid out like the paper's) and machines (JSON).

Figures are stored in [0, 1] in JSON and shown as percentages with two decimals, as in the
paper's Tables 2–4; colour entropy is shown in nats.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from rich.table import Table

from skill_aug.atomic import atomic_write_text

PROBE_LABELS = {"linear": "Linear", "nonlinear": "Non-linear"}


def pct(value: Any) -> str:
    """A fraction as a percentage with two decimals, or an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * value:.2f}"


def nats(value: Any) -> str:
    """An entropy in nats with three decimals, or an em dash when missing."""
    return "—" if value is None else f"{value:.3f}"


def metric_keys(result: dict) -> list[str]:
    """The JSON keys of a probe's figures: ``accuracy`` and each ``r@P`` of the report's settings."""
    return ["accuracy"] + [f"r@{round(p * 100)}" for p in result["settings"]["precisions"]]


def metric_label(key: str) -> str:
    """A figure's column label: ``Acc``, ``R@90``, ..."""
    return "Acc" if key == "accuracy" else key.upper().replace("R@", "R@")


def attribute_table(result: dict, title: str = "Frozen-embedding probes") -> Table:
    """One row per attribute: each probe's Acc and R@P, k-NN accuracy and the majority-class chance."""
    keys = metric_keys(result)
    probes = result["settings"]["probes"]
    table = Table(title=title)
    table.add_column("attribute")
    table.add_column("classes", justify="right")
    table.add_column("train/test", justify="right")
    for kind in probes:
        for key in keys:
            table.add_column(f"{PROBE_LABELS[kind]} {metric_label(key)}", justify="right")
    table.add_column(f"k-NN Acc (k={result['settings']['knn_k']})", justify="right")
    table.add_column("chance", justify="right")
    for name, block in result["attributes"].items():
        cells = [name, str(block["n_classes"]), f"{block['n_train']}/{block['n_test']}"]
        for kind in probes:
            cells += [pct(block.get(kind, {}).get(key)) for key in keys]
        cells += [pct(block.get("knn", {}).get("accuracy")), pct(block.get("chance"))]
        table.add_row(*cells)
    return table


def by_category_table(result: dict) -> Table:
    """One row per (category, attribute) of ``skill eval --by``: each probe's and k-NN's accuracy beside
    chance; the category's held-out retrieval R@1 and colour entropy on its first row."""
    probes = result["settings"]["probes"]
    by = result["by"]
    table = Table(title=f"Per {by}: the same figures over each {by}'s own rows (one split for all)")
    for column in (by, "attribute", "train/test", *[f"{PROBE_LABELS[k]} Acc" for k in probes], "k-NN Acc", "chance",
                   "retrieval R@1", "colour entropy"):
        table.add_column(column, justify="left" if column in (by, "attribute") else "right")
    for value, part in result["by_category"].items():
        retrieval = part.get("retrieval") or {}
        entropy = part.get("color_entropy") or {}
        extra = [pct(retrieval.get("r@1")), nats(entropy.get("value"))]
        blocks = list(part["attributes"].items()) or [("—", {})]
        for i, (name, block) in enumerate(blocks):
            cells = [value if i == 0 else "", name, f"{block.get('n_train', 0)}/{block.get('n_test', 0)}"]
            cells += [pct(block.get(kind, {}).get("accuracy")) for kind in probes]
            cells += [pct(block.get("knn", {}).get("accuracy")), pct(block.get("chance"))]
            table.add_row(*cells, *(extra if i == 0 else ["", ""]))
    return table


def confusion_lines(result: dict, n: int = 3) -> list[str]:
    """Per attribute, the k-NN's ``n`` most frequent mistakes on the held-out rows: which classes the
    embedding merges (an op that teaches the wrong invariance shows here first)."""
    lines = []
    for name, block in result["attributes"].items():
        confusions = block.get("knn", {}).get("confusions") or []
        if confusions:
            shown = ", ".join(f"{c['true']} → {c['predicted']} {c['count']} ({pct(c['share'])} %)" for c in confusions[:n])
            lines.append(f"{name}, most confused by k-NN (true → found, rows, share of the true class): {shown}")
    return lines


def retrieval_line(result: dict) -> str:
    """One line for the label-free score: held-out product retrieval R@1 and mAP, beside chance."""
    block = result.get("retrieval") or {}
    if "skipped" in block or not block:
        return f"held-out product retrieval: skipped ({block.get('skipped', 'not computed')})"
    return (f"held-out product retrieval (no labels): R@1 {pct(block['r@1'])} % (chance {pct(block['chance_r@1'])} %), "
            f"mAP {pct(block['map'])} % over {block['queries']} photos of {block['products']} products")


def entropy_table(result: dict, title: str = "Colour entropy of k-means clusters (higher = more colour-agnostic)") -> Table:
    """Mean per-cluster colour entropy and H(C|K)/H(C) at the default K and over the sweep."""
    ce = result["color_entropy"]
    table = Table(title=title, caption=f"colours from {ce['color_source']}; {ce['n_colors']} colours, H(C) = {nats(ce['marginal_entropy'])} nats")
    table.add_column("K", justify="right")
    table.add_column("mean entropy (nats)", justify="right")
    table.add_column("H(C|K)/H(C)", justify="right")
    table.add_row(f"{ce['k']} (default)", nats(ce["value"]), nats(ce["normalized"]))
    for k, block in ce["sweep"].items():
        table.add_row(str(block["k"]) + ("" if str(block["k"]) == k else f" (asked {k})"), nats(block["value"]), nats(block["normalized"]))
    return table


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (NaN and infinities become null)."""
    return atomic_write_text(path, json.dumps(_finite(obj), indent=2) + "\n")
