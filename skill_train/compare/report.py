"""The comparison for people: one rich table per attribute (rows × probe × Acc/R@P) and one of
colour entropy, laid out like the paper's Tables 2–4, and the same as Markdown for a README."""

from __future__ import annotations

from typing import Sequence

from rich.table import Table

from skill_train.eval.report import PROBE_LABELS, metric_keys, metric_label, nats, pct


def comparison_tables(rows: Sequence[tuple[str, dict]]) -> list[Table]:
    """The paper's layout: one table per attribute (methods × probe × Acc/R@P), then colour entropy."""
    if not rows:
        return []
    first = rows[0][1]
    keys = metric_keys(first)
    probes = first["settings"]["probes"]
    tables = []
    for name in first["attributes"]:
        table = Table(title=f"{name}: frozen-embedding probes")
        table.add_column("method")
        for kind in probes:
            for key in keys:
                table.add_column(f"{PROBE_LABELS[kind]} {metric_label(key)}", justify="right")
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
    keys = metric_keys(first)
    probes = first["settings"]["probes"]
    out: list[str] = []
    for name in first["attributes"]:
        header = ["method"] + [f"{PROBE_LABELS[k]} {metric_label(m)}" for k in probes for m in keys] + ["k-NN Acc"]
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
