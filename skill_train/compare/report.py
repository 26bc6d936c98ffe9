"""The comparison for people: one rich table per attribute (rows × probe × Acc/R@P) and one of
colour entropy, laid out like the paper's Tables 2–4, and the same as Markdown for a README."""

from __future__ import annotations

from typing import Sequence

from rich.table import Table

from skill_train.eval.report import PROBE_LABELS, metric_keys, metric_label, nats, pct


def category_grids(rows: Sequence[tuple[str, dict]]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per category of an evaluation ``--by`` one (a mixed catalogue): methods × each attribute's probe
    and k-NN accuracy, then colour entropy; as (title, header, rows of cells)."""
    first = rows[0][1] if rows else {}
    if not first.get("by_category"):
        return []
    probes = first["settings"]["probes"]
    grids = []
    for value, part in first["by_category"].items():
        names = list(part["attributes"])
        header = ["method"] + [f"{name} {PROBE_LABELS[k]} Acc" for name in names for k in probes] \
            + [f"{name} k-NN Acc" for name in names] + ["colour entropy"]
        cells = []
        for label, result in rows:
            mine = result.get("by_category", {}).get(value, {})
            blocks = mine.get("attributes", {})
            cells.append([label] + [pct(blocks.get(n, {}).get(k, {}).get("accuracy")) for n in names for k in probes]
                         + [pct(blocks.get(n, {}).get("knn", {}).get("accuracy")) for n in names]
                         + [nats(mine.get("color_entropy", {}).get("value"))])
        grids.append((f"{first['by']} {value} ({part['rows']} rows)", header, cells))
    return grids


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
    for title, header, cells in category_grids(rows):
        table = Table(title=title)
        for i, column in enumerate(header):
            table.add_column(column, justify="left" if i == 0 else "right")
        for row in cells:
            table.add_row(*row)
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
    for title, header, grid in category_grids(rows):
        out += ["", f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cells) + " |" for cells in grid]
    return "\n".join(out) + "\n"


# --- a comparison over several seeds -------------------------------------------------------------

Grid = tuple[str, list[str], list[list[str]]]  # title, header, rows of cells


def _number(value: float | None, unit: str, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed else ""
    return f"{100 * value:{sign}.2f}" if unit == "fraction" else f"{value:{sign}.3f}"


def mean_sd(figure: dict, unit: str, runs: int) -> str:
    """``38.54 ± 2.10`` (percentages for fractions, nats otherwise), with ``(n=k)`` if fewer seeds had it."""
    text = _number(figure["mean"], unit)
    if figure["sd"] is not None:
        text += f" ± {_number(figure['sd'], unit)}"
    return text + (f" (n={figure['n']})" if figure["n"] != runs else "")


def difference(figure: dict, unit: str) -> str:
    """``+3.10 [−1.20, +7.40]``, or ``+3.10 [n/a]`` with a single pair (no interval exists)."""
    text = _number(figure["mean"], unit, signed=True)
    if figure["mean"] is None:
        return text
    if figure["low"] is None:
        return f"{text} [n/a]"
    return f"{text} [{_number(figure['low'], unit, True)}, {_number(figure['high'], unit, True)}]"


def seeded_grids(report: dict) -> list[Grid]:
    """Per group of figures (an attribute, colour entropy, retrieval): mean ± sd per row, then
    the claims' paired differences with their interval."""
    metrics = report["metrics"]
    groups: dict[str, list[str]] = {}
    for key, metric in metrics.items():
        groups.setdefault(metric["group"], []).append(key)
    summaries, differences = [], []
    for group, keys in groups.items():
        unit = "%" if metrics[keys[0]]["unit"] == "fraction" else "nats"
        header = [metrics[k]["label"] for k in keys]
        summaries.append((f"{group} ({unit}): mean ± sd over seeds", ["method"] + header + ["n"],
                          [[row["label"]] + [mean_sd(row["over_seeds"][k], metrics[k]["unit"], len(row["runs"])) for k in keys]
                           + [str(len(row["runs"]))] for row in report["rows"]]))
        if report["differences"]:
            differences.append((f"{group} ({unit}): paired difference [95 % interval]", ["difference"] + header + ["n"],
                                [[d["label"]] + [difference(d["metrics"][k], metrics[k]["unit"]) for k in keys]
                                 + [str(len(d["seeds"]))] for d in report["differences"]]))
    return summaries + differences + agreement_grids(report)


def agreement_grids(report: dict) -> list[Grid]:
    """How alike label-free retrieval and each attribute's accuracy rank the rows (Spearman's rho of
    the rows' means): one grid, or none where no figure pair has three rows to rank."""
    agreement = [entry for entry in report.get("retrieval_agreement", ()) if entry["rho"] is not None]
    if not agreement:
        return []
    return [("label-free retrieval against the attributes: Spearman rank correlation of the rows' means "
             "(1: the same order, 0: unrelated)", ["figures", "ρ", "rows"],
             [[entry["label"], f"{entry['rho']:+.2f}", str(entry["n"])] for entry in agreement])]


def grid_table(grid: Grid) -> Table:
    """One grid as a rich table (first column left-aligned, figures right-aligned)."""
    title, header, rows = grid
    table = Table(title=title)
    for i, column in enumerate(header):
        table.add_column(column, justify="left" if i == 0 else "right")
    for cells in rows:
        table.add_row(*cells)
    return table


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def grid_markdown(grid: Grid) -> list[str]:
    """One grid as Markdown lines: its bold title, the table, a blank line."""
    title, header, rows = grid
    return [f"**{title}**", "", _md_row(header), "|" + "---|" * len(header), *[_md_row(cells) for cells in rows], ""]


def seeded_tables(report: dict) -> list[Table]:
    """The multi-seed report as rich tables (see :func:`seeded_grids`)."""
    return [grid_table(grid) for grid in seeded_grids(report)]


def input_note(report: dict) -> str:
    """A sentence (with a leading space) saying the report's rows were embedded from grey photos, else ``""``."""
    if report.get("input", "colour") == "colour":
        return ""
    return f" Every row embedded its held-out photos {report['input']} (`--input {report['input']}`)."


def seeded_markdown(report: dict) -> str:
    """The multi-seed report as Markdown: what was run, then the tables of :func:`seeded_grids`."""
    seeds = report["seeds"]
    out = [f"Seeds {', '.join(map(str, seeds))} (n = {len(seeds)}); each seed also draws the held-out designs, "
           f"so the rows of one seed are paired. Mean ± sample standard deviation over seeds; differences are the "
           f"mean of the per-seed differences with a 95 % Student-t interval (n/a with one seed). "
           f"Figures (color_entropy.png, map.png): seed {report['figures_seed']}.{input_note(report)}", ""]
    for grid in seeded_grids(report):
        out += grid_markdown(grid)
    return "\n".join(out)


# --- an ablation (skill ablate) --------------------------------------------------------------------


def ablation_grid(report: dict) -> Grid:
    """The ablations ranked by what their ops buy: full − without, per figure, with its interval."""
    metrics = report["metrics"]
    keys = list(metrics)
    full = report["full"]["over_seeds"]
    n = len(report["seeds"])
    header = ["rank", "removed", *[metrics[k]["label"] for k in keys], "n"]
    rows = [["", f"{report['full']['label']} (full policy, mean ± sd)",
             *[mean_sd(full[k], metrics[k]["unit"], n) if k in full else "—" for k in keys], str(n)]]
    rows += [[str(i), entry["label"], *[difference(entry["metrics"][k], metrics[k]["unit"]) for k in keys],
              str(len(entry["seeds"]))] for i, entry in enumerate(report["ranking"], 1)]
    title = (f"{report['task']}: what each op buys on {report['attribute']} (%; full − without, "
             f"95 % interval over seeds), ranked by {metrics[report['ranked_by']]['label']}")
    return title, header, rows


def ablation_markdown(report: dict) -> str:
    """The ablation as Markdown: what was run, then :func:`ablation_grid`."""
    seeds = report["seeds"]
    intro = (f"Seeds {', '.join(map(str, seeds))} (n = {len(seeds)}). Each row removes the named op(s) from the "
             f"{report['task']} policy (files in `policies/`); a positive figure is what they buy: the full policy's "
             f"score minus the ablated one's, the mean of the per-seed differences with a 95 % Student-t interval "
             f"(n/a with one seed). An interval that excludes 0 is an effect beyond seed noise. Per-row figures: "
             f"comparison.md; chart: ablation.png.{input_note(report)}")
    grids = [ablation_grid(report), *agreement_grids(report)]
    return "\n".join([intro, "", *(line for grid in grids for line in grid_markdown(grid))])


def ablation_tables(report: dict) -> list[Table]:
    """The ablation as a rich table (see :func:`ablation_grid`)."""
    return [grid_table(grid) for grid in (ablation_grid(report), *agreement_grids(report))]


def report_tables(report: dict) -> list[Table]:
    """The comparison's rich tables: one seed (the paper's layout) or several (mean ± sd, differences)."""
    if "seeds" in report:
        return seeded_tables(report)
    return comparison_tables([(r["label"], r["eval"]) for r in report["rows"]])
