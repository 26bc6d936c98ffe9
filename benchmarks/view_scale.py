"""How far each view of a policy is enlarged from the pixels it shows, with and without its local set.

The working size guarantees that G's crops of H(x) are never smaller than the view. An op of
A_i that crops (``RegionCrop``) hands G a smaller image, so the views of a cropped draw can be
enlarged: their detail is interpolated, not photographed. A policy whose local set zooms in
therefore keeps H(x) at the source size (working size × the zoom) and shrinks to the working
size only after the zooming op, so on a photo that has the pixels a close-up is cut from them.
This draws views the way a policy does (H, one A_i draw per source photo, G's crop) on
synthetic products of each type and reports the share of views enlarged more than 1.5× and the
median enlargement (view side / shorter side of the crop of the image G crops from; below 1 the
view is a reduction). ``--no-source-size`` measures each policy with ``source_size: working``
(H(x) at the working size, as before the source size), for comparison.

    python benchmarks/view_scale.py [--types dress shirt shoes] [--products 30] [--json scale.json]

Two settings: the paper's views (224/96 px) on 1024 px photos, and the CPU preset's (64/32 px)
on the 128 px photos of the synthetic training catalogue.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import skill_aug
from skill_aug.atomic import atomic_write_text
from skill_aug.ops import AntialiasedResizedCrop
from skill_aug.plugins import get_registry
from skill_aug.synth import render_product

SETTINGS = (("paper views, 1024 px photos", (224, 96), 1024), ("CPU preset views, 128 px photos", (64, 32), 128))


def enlargements(policy, photo_size: int, products: int, draws: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Per view group, the enlargement of every view drawn from ``products`` synthetic photos: the
    view's side over the shorter side of its crop of the image G crops from. Every pixel of that
    image is a pixel of the photo (H's crops and the shrinks only drop pixels), so above 1 the
    view is interpolated."""
    rs = np.random.default_rng(seed)
    out: dict[str, list[float]] = {"high_res": [], "low_res": []}
    space = policy.spec.global_space
    crops = {name: AntialiasedResizedCrop(size=(g.size, g.size), scale=g.scale, ratio=g.ratio, p=1.0)
             for name, g in (("high_res", space.high_res), ("low_res", space.low_res))}
    for s in range(products):
        photo = render_product(policy.task, seed=s, size=photo_size, n_photos=1)[0][0]
        h = policy.preprocess(photo, s)
        for _ in range(draws):
            x = policy._local(h, int(rs.integers(1 << 31))) if policy._local is not None else h
            for name, crop in crops.items():
                crop.set_random_seed(int(rs.integers(1 << 31)))
                x0, y0, x1, y1 = crop.get_params_dependent_on_data({"shape": x.shape}, {"image": x})["crop_coords"]
                out[name].append(crop.size[0] / max(min(x1 - x0, y1 - y0), 1))
    return {name: np.asarray(v) for name, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--types", nargs="+", default=None, help="product types (default: every installed one)")
    parser.add_argument("--products", type=int, default=30)
    parser.add_argument("--draws", type=int, default=4, help="A_i draws per product")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-source-size", action="store_true", help="H(x) at the working size, as before the source size")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    types = args.types or sorted(get_registry().product_types)
    table = Table(title="views enlarged more than 1.5× (share) and median enlargement, per view group")
    for column in ("type", "setting", "policy", "high-res > 1.5×", "median", "low-res > 1.5×", "median"):
        table.add_column(column, justify="left" if column in ("type", "setting", "policy") else "right")
    results = []
    for task in types:
        base = skill_aug.policy_for_task(task)
        for setting, (high, low), photo_size in SETTINGS:
            sized = base.with_view_sizes(high, low)
            sized = sized.replace(source_size="working") if args.no_source_size else sized
            for variant, policy in (("full", sized), ("no local set", sized.replace(local_set=()))):
                found = enlargements(policy, photo_size, args.products, args.draws)
                cells = [f"{np.mean(v > 1.5):.2f}" if i == 0 else f"{np.median(v):.2f}"
                         for v in found.values() for i in range(2)]
                table.add_row(task, setting, variant, *cells)
                results.append({"type": task, "setting": setting, "policy": variant, "source_size": not args.no_source_size,
                                **{name: {"over_1.5": float(np.mean(v > 1.5)), "median": float(np.median(v))}
                                   for name, v in found.items()}})
    Console().print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
