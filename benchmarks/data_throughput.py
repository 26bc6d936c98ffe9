"""Data-side speed: catalogue indexing and products/s through ProductDataset + DataLoader.

1. Indexing: a generated tree of ``--index-products`` product folders (empty photo files,
   plus attributes.csv) is opened with ``Catalog.open``; target: 100k products in seconds.
2. Throughput, products/s per core: the ``--task`` policy (dress) over catalogues of real
   photos (scikit-learn's and scikit-image's samples, two JPEGs per product) at longest sides
   1024 and 2048 px, and over the synthetic catalogue; at the CPU preset's views
   (2×64 + 2×32 px) and the paper's (2×224 + 10×96 px); each read from the photos and from a
   prepared catalogue (``skill data prepare``: H(x) stored once at the source size).
   ``--workers 0`` is one core (the loader's own process); the first batch is timed apart.
   Goal at the paper's views: ≥ 40 products/s per core.

Prints a rich table and writes JSON (``--json``).

    python benchmarks/data_throughput.py [--index-products 100000] [--sources real1024 real2048 synthetic]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import cv2
import torch
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from skill_aug import policy_for_task
from skill_aug.atomic import atomic_write_text
from skill_aug.catalog import Catalog
from skill_aug.prepared import find_stores, prepare
from skill_train.train.dataset import EpochSampler, ProductDataset, build_loader

from photos import real_photos, write_catalogue

SIZES = {"cpu": (64, 32, 2), "paper": (224, 96, 10)}  # high, low, n_local: the presets' views
SOURCES = {"real1024": 1024, "real2048": 2048, "synthetic": None}


def generate_tree(root: Path, products: int, photos: int, progress: Progress) -> float:
    """ROOT/pNNNNNN/NN.jpg (empty files) + attributes.csv; returns seconds taken."""
    start = time.perf_counter()
    task = progress.add_task(f"writing {products} empty product folders", total=products)
    with open(root / "attributes.csv", "w", encoding="utf-8") as attributes:
        attributes.write("product_id,pattern,color\n")
        for i in range(products):
            folder = root / f"p{i:06d}"
            folder.mkdir()
            for j in range(photos):
                (folder / f"{j:02d}.jpg").touch()
            attributes.write(f"p{i:06d},pattern{i % 13},color{i % 11}\n")
            if i % 1000 == 999:
                progress.update(task, completed=i + 1)
    progress.update(task, completed=products)
    return time.perf_counter() - start


def bench_indexing(products: int, photos: int, parent: str | None, progress: Progress) -> dict:
    with tempfile.TemporaryDirectory(prefix="skill-index-bench-", dir=parent) as tmp:
        root = Path(tmp)
        generated = generate_tree(root, products, photos, progress)
        timings = []
        for _ in range(2):
            start = time.perf_counter()
            cat = Catalog.open(root)
            timings.append(time.perf_counter() - start)
        assert len(cat) == products and cat.n_photos == products * photos
        cleanup = progress.add_task("removing the tree", total=None)
    progress.remove_task(cleanup)
    return {
        "products": products,
        "photos_per_product": photos,
        "generate_s": round(generated, 2),
        "open_first_s": round(timings[0], 3),
        "open_again_s": round(timings[1], 3),
        "products_per_s": round(products / min(timings)),
    }


def bench_loader(root: Path, size_name: str, workers: int, batch_size: int, batches: int, progress: Progress,
                 task: str, prepared: bool) -> dict:
    high, low, n_local = SIZES[size_name]
    policy = policy_for_task(task).with_view_sizes(high=high, low=low).with_view_counts(n_local=n_local)
    catalog = Catalog.open(root)
    prepare_s = 0.0
    if prepared:
        start = time.perf_counter()
        prepare(catalog, policy)
        prepare_s = time.perf_counter() - start
    dataset = ProductDataset(catalog, policy, seed=0, prepared=find_stores(catalog, [policy]) if prepared else None)
    sampler = EpochSampler(len(dataset), batch_size, seed=0)
    batches = min(batches, sampler.batches_per_epoch)
    loader = build_loader(dataset, sampler, workers)
    bar = progress.add_task(f"{root.name}: {size_name} views, workers={workers}, prepared={prepared}", total=batches)
    start = time.perf_counter()
    it = iter(loader)
    next(it)
    first = time.perf_counter() - start
    progress.advance(bar)
    steady_start = time.perf_counter()
    for _ in range(batches - 1):
        next(it)
        progress.advance(bar)
    steady = time.perf_counter() - steady_start
    progress.remove_task(bar)
    del it, loader  # stop persistent workers before the next configuration
    cores = max(workers, 1)
    return {
        "source": root.name,
        "views": f"2×{policy.high_res_size} + {policy.n_local}×{policy.low_res_size}",
        "size": size_name,
        "working_size": policy.working_size,
        "source_size": policy.source_size,  # H(x) kept larger for a zooming A_i
        "prepared": prepared,
        "prepare_s": round(prepare_s, 1),
        "workers": workers,
        "batch_size": batch_size,
        "batches": batches,
        "first_batch_s": round(first, 2),
        "products_per_s": round((batches - 1) * batch_size / steady, 1),
        "products_per_s_per_core": round((batches - 1) * batch_size / steady / cores, 1),
    }


def write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-products", type=int, default=100_000, help="0 skips the indexing benchmark")
    parser.add_argument("--index-photos", type=int, default=4, help="empty photo files per product")
    parser.add_argument("--index-dir", default=None, help="where to generate the tree (default: system temp)")
    parser.add_argument("--products", type=int, default=96, help="products per catalogue")
    parser.add_argument("--sources", nargs="+", choices=sorted(SOURCES), default=["real1024", "real2048", "synthetic"])
    parser.add_argument("--task", default="dress", help="whose policy (an installed product type)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="0: one core, in the loader's process")
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["cpu", "paper"])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=6, help="batches per configuration (the first is start-up)")
    parser.add_argument("--json", type=Path, default=Path("runs/benchmarks/data_throughput.json"))
    args = parser.parse_args()

    torch.set_num_threads(1)
    cv2.setNumThreads(1)  # one core: OpenCV would otherwise spread resizes over all of them
    console = Console()
    result: dict = {"cpu_count": os.cpu_count(), "torch": torch.__version__}
    with Progress(console=console, transient=True) as progress:
        if args.index_products > 0:
            result["indexing"] = bench_indexing(args.index_products, args.index_photos, args.index_dir, progress)
        with tempfile.TemporaryDirectory(prefix="skill-data-bench-") as tmp:
            roots = []
            for source in args.sources:
                side = SOURCES[source]
                if side is None:
                    from skill_aug.synth import write_catalog

                    roots.append(Path(tmp) / source)
                    write_catalog(args.task, products=args.products, out=roots[-1], size=512, photos_min=2, photos_max=2)
                else:
                    roots.append(write_catalogue(Path(tmp) / source, real_photos(), side, args.products))
            result["loader"] = [
                bench_loader(root, size, workers, args.batch_size, args.batches, progress, args.task, prepared)
                for root in roots for size in args.sizes for prepared in (False, True) for workers in args.workers
            ]

    if "indexing" in result:
        ix = result["indexing"]
        table = Table(title="Catalog.open on a generated tree (no photo opened)")
        for col in ("products", "photos", "first open s", "again s", "products/s"):
            table.add_column(col, justify="right")
        table.add_row(f"{ix['products']:,}", f"{ix['products'] * ix['photos_per_product']:,}",
                      f"{ix['open_first_s']:.2f}", f"{ix['open_again_s']:.2f}", f"{ix['products_per_s']:,}")
        console.print(table)
    table = Table(title=f"ProductDataset + DataLoader, {args.task} policy, {args.products} products × 2 JPEGs")
    for col in ("photos", "views", "working px", "source px", "prepared", "workers", "first batch s", "products/s", "per core"):
        table.add_column(col, justify="right")
    for row in result["loader"]:
        table.add_row(row["source"], row["views"], str(row["working_size"]), str(row["source_size"]),
                      "yes" if row["prepared"] else "no",
                      str(row["workers"]), f"{row['first_batch_s']:.2f}", f"{row['products_per_s']:.1f}",
                      f"{row['products_per_s_per_core']:.1f}")
    console.print(table)
    write_json(args.json, result)
    console.print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
