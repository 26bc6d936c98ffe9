"""Views per second of every policy on one core, beside DINO's torchvision multi-crop on PIL.

Both sides make the same views (2 × 224 px + 6 × 96 px by default) from the same photos
(synthetic catalogue products at 512 px), single-threaded. Prints a rich table and writes
JSON (``--json``). Target: every SkiLL policy ≥ 3× the torchvision recipe.

    python benchmarks/aug_throughput.py [--seconds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from rich.console import Console
from rich.table import Table

import skill_aug
from skill_aug.atomic import atomic_write_text
from skill_aug.synth import render_product

POLICIES = Path(__file__).resolve().parents[1] / "policies"


def torchvision_multicrop(high: int, low: int, n_local: int):
    """DINO's reference augmentation (facebookresearch/dino DataAugmentationDINO), re-stated."""
    from torchvision import transforms as T

    flip_colour = T.Compose([
        T.RandomHorizontalFlip(p=0.5),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
    ])
    blur = lambda p: T.RandomApply([T.GaussianBlur(9, sigma=(0.1, 2.0))], p=p)  # noqa: E731
    crop = lambda size, scale: T.RandomResizedCrop(size, scale=scale, interpolation=T.InterpolationMode.BICUBIC)  # noqa: E731
    first = T.Compose([crop(high, (0.4, 1.0)), flip_colour, blur(1.0)])
    second = T.Compose([crop(high, (0.4, 1.0)), flip_colour, blur(0.1), T.RandomSolarize(128, p=0.2)])
    local = T.Compose([crop(low, (0.05, 0.4)), flip_colour, blur(0.5)])

    def views(image: Image.Image) -> list[Image.Image]:
        return [first(image), second(image)] + [local(image) for _ in range(n_local)]

    return views


def rate(fn, items: list, seconds: float, views_per_call: int) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(items[calls % len(items)], calls)
        calls += 1
    return calls * views_per_call / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=512, help="side of the source photos")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    cv2.setNumThreads(1)
    torch.set_num_threads(1)

    products = [render_product("dress", seed=s, size=args.size, n_photos=2)[0] for s in range(8)]
    reference = skill_aug.load_policy(POLICIES / "dino.yaml")
    n_views = reference.n_global + reference.n_local
    tv = torchvision_multicrop(reference.high_res_size, reference.low_res_size, reference.n_local)
    pil = [Image.fromarray(p[0]) for p in products]
    results = {"torchvision (DINO recipe, PIL)": rate(lambda im, i: tv(im), pil, args.seconds, n_views)}
    for path in sorted(POLICIES.glob("*.yaml")):
        policy = skill_aug.load_policy(path)
        count = policy.n_global + policy.n_local
        results[f"skill-aug {path.stem}"] = rate(lambda ims, i: policy(ims, rng=i), products, args.seconds, count)

    baseline = results["torchvision (DINO recipe, PIL)"]
    table = Table(title=f"views/s, one core, {reference.n_global}×{reference.high_res_size} px + "
                        f"{reference.n_local}×{reference.low_res_size} px from {args.size} px photos")
    table.add_column("pipeline")
    table.add_column("views/s", justify="right")
    table.add_column("× torchvision", justify="right")
    for name, value in results.items():
        table.add_row(name, f"{value:,.0f}", f"{value / baseline:.1f}")
    Console().print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps({"views_per_second": results, "speedup": {
            k: v / baseline for k, v in results.items()}}, indent=2))


if __name__ == "__main__":
    main()
