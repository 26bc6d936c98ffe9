"""The data side of a training run: policy, catalogue, held-out split, dataset and loader.

    >>> data = prepare_data(cfg, ctx)      # ctx: skill_train.train.distributed.DistContext
    >>> data.set_epoch(epoch, start_batch)  # exact data order on resume
    >>> for batch in data.loader: ...       # {"global": [...], "local": [...], "index": ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader

from skill_train.eval.attributes import default_attributes
from skill_train.eval.splits import HoldoutSplit, product_split
from skill_train.run.config import ConfigError, TrainConfig
from skill_train.train.distributed import DistContext, barrier


@dataclass
class TrainData:
    """Everything the loop and the final evaluation need from the data side."""

    policy: Any
    catalog: Any
    catalog_path: Path
    split: HoldoutSplit | None
    attributes: list[str]
    dataset: Any
    sampler: Any
    loader: DataLoader
    batch_per_rank: int
    prepared: Any = None  # the PreparedStore training reads H(x) from, when the catalogue has one

    @property
    def steps_per_epoch(self) -> int:
        """Optimiser steps in one epoch (the sampler drops the last incomplete batch)."""
        return self.sampler.batches_per_epoch

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Set the epoch's augmentation seeds and order, skipping ``start_batch`` batches."""
        self.dataset.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        self.sampler.start_batch = start_batch


def catalog_task(catalog: Any) -> str:
    """The product type ``catalog``'s ``category`` column names, when every product has the same one.

    A catalogue of one type (e.g. a synthetic one) needs no ``--task``. Several types, or none,
    is an error saying how to choose (one policy then serves every product).
    """
    from skill_aug.catalog import CATEGORY_COLUMN

    categories = catalog.categories()
    if len(categories) == 1:
        return next(iter(categories))
    how = "give --task (a product type) or --policy FILE: that policy then serves every product"
    if not categories:
        raise ConfigError(f"nothing to train on: {catalog.source} has no '{CATEGORY_COLUMN}' column to name its product "
                          f"type; {how}")
    found = ", ".join(f"{name} ({n})" for name, n in categories.items())
    raise ConfigError(f"{catalog.source} holds {len(categories)} product types ({found}) and one run trains one policy: "
                      f"{how}")


def resolve_policy(cfg: TrainConfig, catalog: Any = None) -> Any:
    """The task's installed policy (or ``cfg.policy``), resized and recounted as the preset and method ask.

    Without ``--task`` or ``--policy``, the type the ``category`` column of ``catalog`` (else of
    ``--data``, opened here) names.
    """
    from skill_aug import load_policy, policy_for_task

    if cfg.policy:
        policy = load_policy(Path(cfg.policy))
    elif cfg.task:
        policy = policy_for_task(cfg.task)
    elif cfg.data:
        from skill_aug.catalog import Catalog

        policy = policy_for_task(catalog_task(catalog if catalog is not None else Catalog.open(cfg.data)))
    else:
        raise ConfigError("nothing to train on: give --task (a product type), --policy FILE or --data DIR")
    if cfg.high_res_size or cfg.low_res_size:
        policy = policy.with_view_sizes(
            high=cfg.high_res_size or policy.high_res_size, low=cfg.low_res_size or policy.low_res_size
        )
    if cfg.n_local is not None and cfg.n_local != policy.n_local:
        policy = policy.with_view_counts(n_local=cfg.n_local)
    if policy.n_global != 2:
        raise ConfigError(f"{cfg.method} needs exactly 2 high-res views; the policy has {policy.n_global}")
    from skill_train.methods import load_method

    return load_method(cfg.method).adapt_policy(policy)  # e.g. SimCLR/BYOL: no low-res views


def catalog_path(cfg: TrainConfig, task: str | None, ctx: DistContext) -> Path:
    """``cfg.data``, or the task's synthetic catalogue (built once, by rank 0 first)."""
    if cfg.data:
        return Path(cfg.data)
    if not task:
        raise ConfigError("no --data given and the policy names no task to synthesise a catalogue for")
    from skill_aug.synth import default_catalog

    if ctx.is_main:
        path = default_catalog(task, products=cfg.synthetic_products)
    barrier(ctx)
    if not ctx.is_main:
        path = default_catalog(task, products=cfg.synthetic_products)
    return Path(path)


def prepare_data(cfg: TrainConfig, ctx: DistContext) -> TrainData:
    """Policy, catalogue, held-out split (when attributes exist) and the training loader."""
    from skill_aug.catalog import Catalog
    from skill_train.train.dataset import EpochSampler, ProductDataset, build_loader

    catalog = Catalog.open(cfg.data) if cfg.data else None  # indexed once: it may also name the task
    policy = resolve_policy(cfg, catalog)
    task = cfg.task or policy.task
    path = catalog_path(cfg, task, ctx)
    if catalog is None:
        catalog = Catalog.open(path)
    products = catalog.products
    # the end-of-run k-NN scores what `skill eval` scores, plus colour (its colour-invariance signal)
    labels = {p.product_id: p.attributes for p in products}
    attributes = default_attributes(catalog.attribute_names, labels, task, include_color=True) if cfg.eval_holdout > 0 else []
    split = product_split(products, cfg.eval_holdout, cfg.seed) if attributes and len(products) >= 4 else None

    train_catalog = catalog.subset(split.train) if split is not None else catalog
    from skill_aug.prepared import PreparedStore

    prepared = PreparedStore.find(catalog, policy)
    dataset = ProductDataset(train_catalog, policy, seed=cfg.seed, prepared=prepared)
    if cfg.batch_size % ctx.world_size:
        raise ConfigError(f"batch_size {cfg.batch_size} must divide evenly over {ctx.world_size} processes")
    batch_per_rank = cfg.batch_size // ctx.world_size
    if len(dataset) < cfg.batch_size:
        raise ConfigError(
            f"{path}: {len(dataset)} training products is fewer than one batch of {cfg.batch_size} "
            f"(lower --batch-size)"
        )
    sampler = EpochSampler(len(dataset), batch_per_rank, seed=cfg.seed, shuffle=True, drop_last=True,
                           rank=ctx.rank, world_size=ctx.world_size)
    loader = build_loader(dataset, sampler, cfg.workers)
    return TrainData(policy, catalog, path, split, attributes, dataset, sampler, loader, batch_per_rank, prepared)
