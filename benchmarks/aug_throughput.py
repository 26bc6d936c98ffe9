"""Views per second of every policy on one core, beside DINO's torchvision multi-crop on PIL.

Both sides make the same views (2 × 224 px + 6 × 96 px) from the same JPEG files, decoding
included, single-threaded: real photos (scikit-learn's and scikit-image's bundled samples)
and synthetic catalogue products, each written at longest sides 512, 1024 and 2048 px.
The torchvision recipe decodes the whole photo, as DINO's ImageFolder loader does; a policy
reads it with ``read_image(decode_size=policy.working_size)``, as the trainer does. One photo
per product on both sides (x″ = x′). Prints a rich table and writes JSON (``--json``).
Target: every SkiLL policy ≥ 3× the torchvision recipe at every size.

    python benchmarks/aug_throughput.py [--seconds 3] [--sides 512 1024 2048] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import torch
from PIL import Image
from rich.console import Console
from rich.table import Table

import skill_aug
from skill_aug.atomic import atomic_write_text
from skill_aug.images import read_image
from skill_aug.synth import render_product

from photos import at_longest_side, real_photos, write_jpeg

POLICIES = Path(__file__).resolve().parents[1] / "policies"
BASELINE = "torchvision (DINO recipe, PIL)"


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


def pil_loader(path: Path) -> Image.Image:
    """torchvision's ``ImageFolder`` loader: the whole photo, decoded and converted to RGB."""
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def write_photos(root: Path, source: str, sides: list[int]) -> dict[int, list[Path]]:
    """The benchmark's JPEG files: each source photo at each longest side."""
    if source == "real":
        photos = real_photos()
    else:
        photos = [render_product(task, seed=s, size=512, n_photos=1)[0][0]
                  for s, task in enumerate(("dress", "shirt", "curtains", "shoes", "furniture", "wall-art"))]
    return {side: [write_jpeg(root / source / str(side) / f"{i}.jpg", at_longest_side(p, side))
                   for i, p in enumerate(photos)] for side in sides}


def rate(fn, items: list, seconds: float, views_per_call: int) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(items[calls % len(items)], calls)
        calls += 1
    return calls * views_per_call / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per pipeline and size")
    parser.add_argument("--sides", type=int, nargs="+", default=[512, 1024, 2048], help="longest sides of the JPEGs")
    parser.add_argument("--sources", nargs="+", choices=("real", "synthetic"), default=["real", "synthetic"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    cv2.setNumThreads(1)
    torch.set_num_threads(1)

    reference = skill_aug.load_policy(POLICIES / "dino.yaml")
    n_views = reference.n_global + reference.n_local
    tv = torchvision_multicrop(reference.high_res_size, reference.low_res_size, reference.n_local)
    policies = {f"skill-aug {path.stem}": skill_aug.load_policy(path) for path in sorted(POLICIES.glob("*.yaml"))}
    # what the working size and per-photo draws buy: the dress policy without them (as before both)
    dress = policies["skill-aug dress"]
    policies["dress, A_i per view"] = dress.replace(local_set_draws="per_view")
    policies["dress, A_i per view, full photo"] = dress.replace(local_set_draws="per_view", working_size=8192)
    results: dict[str, dict[str, dict[str, float]]] = {}
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        for source in args.sources:
            files = write_photos(Path(tmp), source, args.sides)
            by_size = results.setdefault(source, {})
            for side in args.sides:
                paths = files[side]
                rates = {BASELINE: rate(lambda p, i: tv(pil_loader(p)), paths, args.seconds, n_views)}
                for name, policy in policies.items():
                    def views(path: Path, i: int, policy=policy) -> None:
                        decode = None if policy.working_size > 4096 else policy.working_size
                        policy([read_image(path, decode_size=decode)], rng=i)
                    rates[name] = rate(views, paths, args.seconds, policy.n_global + policy.n_local)
                by_size[str(side)] = rates
                console.log(f"{source} {side} px done")

    for source, by_size in results.items():
        table = Table(title=f"views/s, one core, {reference.n_global}×{reference.high_res_size} px + "
                            f"{reference.n_local}×{reference.low_res_size} px, decode included: {source} photos")
        table.add_column("pipeline")
        for side in by_size:
            table.add_column(f"{side} px: views/s", justify="right")
            table.add_column("× DINO", justify="right")
        for name in next(iter(by_size.values())):
            cells = []
            for rates in by_size.values():
                cells += [f"{rates[name]:,.0f}", f"{rates[name] / rates[BASELINE]:.1f}"]
            table.add_row(name, *cells)
        console.print(table)
    if args.json:
        speedup = {source: {side: {k: v / rates[BASELINE] for k, v in rates.items()} for side, rates in by_size.items()}
                   for source, by_size in results.items()}
        atomic_write_text(args.json, json.dumps({"views_per_second": results, "speedup": speedup}, indent=2))


if __name__ == "__main__":
    main()
