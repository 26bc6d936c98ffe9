"""The data side of a training run: each product's policy, catalogue, held-out split, dataset and loader.

    >>> data = prepare_data(cfg, ctx)      # ctx: skill_train.train.distributed.DistContext
    >>> data.set_epoch(epoch, start_batch)  # exact data order on resume
    >>> for batch in data.loader: ...       # {"global": [...], "local": [...], "index": ...}
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    policies: Any  # skill_aug.catalog_policies.CatalogPolicies over ``catalog``
    catalog: Any
    catalog_path: Path
    split: HoldoutSplit | None
    attributes: list[str]
    dataset: Any
    sampler: Any
    loader: DataLoader
    batch_per_rank: int
    #: the prepared stores training reads H(x) from (`skill data prepare`), by preparation key
    prepared: dict[str, Any] = field(default_factory=dict)

    @property
    def policy(self) -> Any:
        """The first policy: the view sizes and counts every product's policy shares."""
        return self.policies.first

    @property
    def steps_per_epoch(self) -> int:
        """Optimiser steps in one epoch (the sampler drops the last incomplete batch)."""
        return self.sampler.batches_per_epoch

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Set the epoch's augmentation seeds and order, skipping ``start_batch`` batches."""
        self.dataset.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        self.sampler.start_batch = start_batch


def fit_views(cfg: TrainConfig, policy: Any) -> Any:
    """``policy`` at the view sizes and counts the preset and method ask (every product type alike)."""
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


def pinned_policy(cfg: TrainConfig, catalog: Any = None) -> Any:
    """The one policy serving every product, fitted to the run's views, or ``None`` when each product's
    category picks its own.

    ``--task`` pins its type (or ``--policy FILE``, which then wins); a ``--policy`` file naming a task
    or writing H or A_i pins itself. A file giving only a global space G pins itself on a catalogue
    without a category column, and otherwise is the G every type shares.
    """
    from skill_aug import load_policy, policy_for_task
    from skill_aug.catalog_policies import policy_sets_g_only

    if cfg.policy:
        policy = load_policy(Path(cfg.policy))
        shares_g = policy_sets_g_only(policy) and catalog is not None \
            and cfg.category_column in catalog.attribute_names
        return None if shares_g and not cfg.task else fit_views(cfg, policy)
    if cfg.task:
        return fit_views(cfg, policy_for_task(cfg.task))
    if not cfg.data:
        raise ConfigError("nothing to train on: give --task (a product type), --policy FILE or --data DIR")
    return None


def resolve_policies(cfg: TrainConfig, catalog: Any = None) -> Any:
    """Each product's policy (:class:`skill_aug.catalog_policies.CatalogPolicies`), fitted to the run's views.

    One pinned policy (:func:`pinned_policy`) serves every product; otherwise the category column of
    ``catalog`` (else of ``--data``, opened here) picks each product's type, with ``--category-map``,
    ``--unknown-category`` and a G-only ``--policy`` as the shared G.
    """
    from skill_aug.catalog import Catalog
    from skill_aug.catalog_policies import CatalogPolicies, catalog_policies

    if catalog is None and cfg.data:
        catalog = Catalog.open(cfg.data)
    pinned = pinned_policy(cfg, catalog)
    if pinned is not None:
        return CatalogPolicies.single(pinned, len(catalog) if catalog is not None else 0)
    from skill_aug import load_policy

    shared = load_policy(Path(cfg.policy)) if cfg.policy else None
    return catalog_policies(catalog, column=cfg.category_column, category_map=cfg.category_map,
                            unknown_category=cfg.unknown_category, shared=shared,
                            adapt=lambda policy: fit_views(cfg, policy))


def resolve_policy(cfg: TrainConfig, catalog: Any = None) -> Any:
    """The run's policy when one serves every product, else its first product type's: the view sizes
    and counts every policy of the run shares."""
    return resolve_policies(cfg, catalog).first


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
    """Each product's policy, catalogue, held-out split (when attributes exist) and the training loader."""
    from skill_aug.catalog import Catalog
    from skill_aug.catalog_policies import CatalogPolicies, categories_of
    from skill_train.train.dataset import EpochSampler, ProductDataset, build_loader

    catalog = Catalog.open(cfg.data) if cfg.data else None  # indexed once: its categories pick the policies
    pinned = pinned_policy(cfg, catalog)
    path = catalog_path(cfg, cfg.task or (pinned.task if pinned is not None else None), ctx)
    if catalog is None:
        catalog = Catalog.open(path)
    policies = CatalogPolicies.single(pinned, len(catalog)) if pinned is not None else resolve_policies(cfg, catalog)
    if policies.skipped:  # --unknown-category skip
        catalog, policies = catalog.subset(policies.kept), policies.subset(policies.kept)
    task = cfg.task or policies.task
    products = catalog.products
    # the end-of-run k-NN scores what `skill eval` scores, plus colour (its colour-invariance signal)
    labels = {p.product_id: p.attributes for p in products}
    attributes = default_attributes(catalog.attribute_names, labels, task, include_color=True) if cfg.eval_holdout > 0 else []
    split = product_split(products, cfg.eval_holdout, cfg.seed) if attributes and len(products) >= 4 else None

    train_catalog, train_policies = catalog, policies
    if split is not None:
        train_catalog, train_policies = catalog.subset(split.train), policies.subset(split.train)
    from skill_aug.prepared import find_stores

    prepared = find_stores(catalog, policies.policies.values())  # `skill data prepare`: H(x) stored once
    dataset = ProductDataset(train_catalog, train_policies, seed=cfg.seed, prepared=prepared)
    if cfg.batch_size % ctx.world_size:
        raise ConfigError(f"batch_size {cfg.batch_size} must divide evenly over {ctx.world_size} processes")
    batch_per_rank = cfg.batch_size // ctx.world_size
    if len(dataset) < cfg.batch_size:
        raise ConfigError(
            f"{path}: {len(dataset)} training products is fewer than one batch of {cfg.batch_size} "
            f"(lower --batch-size)"
        )
    groups = categories_of(train_catalog, column=cfg.category_column) if cfg.balance_categories else None
    sampler = EpochSampler(len(dataset), batch_per_rank, seed=cfg.seed, shuffle=True, drop_last=True,
                           rank=ctx.rank, world_size=ctx.world_size, groups=groups)
    loader = build_loader(dataset, sampler, cfg.workers)
    return TrainData(policies, catalog, path, split, attributes, dataset, sampler, loader, batch_per_rank, prepared)
