"""Reports for people (rich tables and Markdown, laid out like the paper's) and machines (JSON).

Figures are stored in [0, 1] in JSON and shown as percentages with two decimals, as in the
paper's Tables 2–4; colour entropy is shown in nats.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from rich.table import Table

PROBE_LABELS = {"linear": "Linear", "nonlinear": "Non-linear"}


def pct(value: Any) -> str:
    """A fraction as a percentage with two decimals, or an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * value:.2f}"


def nats(value: Any) -> str:
    """An entropy in nats with three decimals, or an em dash when missing."""
    return "—" if value is None else f"{value:.3f}"


def _metric_keys(result: dict) -> list[str]:
    return ["accuracy"] + [f"r@{round(p * 100)}" for p in result["settings"]["precisions"]]


def _metric_label(key: str) -> str:
    return "Acc" if key == "accuracy" else key.upper().replace("R@", "R@")


def attribute_table(result: dict, title: str = "Frozen-embedding probes") -> Table:
    """One row per attribute: each probe's Acc and R@P, k-NN accuracy and the majority-class chance."""
    keys = _metric_keys(result)
    probes = result["settings"]["probes"]
    table = Table(title=title)
    table.add_column("attribute")
    table.add_column("classes", justify="right")
    table.add_column("train/test", justify="right")
    for kind in probes:
        for key in keys:
            table.add_column(f"{PROBE_LABELS[kind]} {_metric_label(key)}", justify="right")
    table.add_column(f"k-NN Acc (k={result['settings']['knn_k']})", justify="right")
    table.add_column("chance", justify="right")
    for name, block in result["attributes"].items():
        cells = [name, str(block["n_classes"]), f"{block['n_train']}/{block['n_test']}"]
        for kind in probes:
            cells += [pct(block.get(kind, {}).get(key)) for key in keys]
        cells += [pct(block.get("knn", {}).get("accuracy")), pct(block.get("chance"))]
        table.add_row(*cells)
    return table


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


def comparison_tables(rows: Sequence[tuple[str, dict]]) -> list[Table]:
    """The paper's layout: one table per attribute (methods × probe × Acc/R@P), then colour entropy."""
    if not rows:
        return []
    first = rows[0][1]
    keys = _metric_keys(first)
    probes = first["settings"]["probes"]
    tables = []
    for name in first["attributes"]:
        table = Table(title=f"{name}: frozen-embedding probes")
        table.add_column("method")
        for kind in probes:
            for key in keys:
                table.add_column(f"{PROBE_LABELS[kind]} {_metric_label(key)}", justify="right")
        table.add_column("k-NN Acc", justify="right")
        for label, result in rows:
            block = result["attributes"].get(name, {})
            cells = [label] + [pct(block.get(kind, {}).get(key)) for kind in probes for key in keys]
            table.add_row(*cells, pct(block.get("knn", {}).get("accuracy")))
        tables.append(table)
    sweep = list(first["color_entropy"]["sweep"])
    table = Table(title="Colour entropy (nats; higher = more colour-agnostic)")
    table.add_column("method")
    table.add_column(f"K={first['color_entropy']['k']}", justify="right")
    table.add_column("H(C|K)/H(C)", justify="right")
    for k in sweep:
        table.add_column(f"K={k}", justify="right")
    for label, result in rows:
        ce = result["color_entropy"]
        table.add_row(label, nats(ce["value"]), nats(ce["normalized"]), *[nats(ce["sweep"].get(k, {}).get("value")) for k in sweep])
    tables.append(table)
    return tables


def comparison_markdown(rows: Sequence[tuple[str, dict]]) -> str:
    """The comparison as Markdown tables (for a README), same layout as :func:`comparison_tables`."""
    if not rows:
        return ""
    first = rows[0][1]
    keys = _metric_keys(first)
    probes = first["settings"]["probes"]
    out: list[str] = []
    for name in first["attributes"]:
        header = ["method"] + [f"{PROBE_LABELS[k]} {_metric_label(m)}" for k in probes for m in keys] + ["k-NN Acc"]
        out += [f"**{name}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for label, result in rows:
            block = result["attributes"].get(name, {})
            cells = [label] + [pct(block.get(k, {}).get(m)) for k in probes for m in keys]
            out.append("| " + " | ".join(cells + [pct(block.get("knn", {}).get("accuracy"))]) + " |")
        out.append("")
    sweep = list(first["color_entropy"]["sweep"])
    header = ["method", f"colour entropy K={first['color_entropy']['k']}", "H(C|K)/H(C)"] + [f"K={k}" for k in sweep]
    out += ["**colour entropy** (nats)", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, result in rows:
        ce = result["color_entropy"]
        cells = [label, nats(ce["value"]), nats(ce["normalized"])] + [nats(ce["sweep"].get(k, {}).get("value")) for k in sweep]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (NaN and infinities become null)."""
    return write_text_atomic(path, json.dumps(_finite(obj), indent=2) + "\n")
