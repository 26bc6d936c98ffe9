"""Products as a torch Dataset of multi-view items, its collate, sampler and loader.

    >>> from skill_aug import policy_for_task
    >>> from skill_aug.catalog import Catalog
    >>> ds = ProductDataset(Catalog.open("data/dresses"), policy_for_task("dress"), seed=0)
    >>> sampler = EpochSampler(len(ds), batch_size=64, seed=0, rank=0, world_size=1)
    >>> loader = build_loader(ds, sampler, workers=2)
    >>> for epoch in range(epochs):
    ...     ds.set_epoch(epoch); sampler.set_epoch(epoch)
    ...     for batch in loader: ...   # {"global": [Bx3xHxW]*2, "local": [Bx3xhxw]*c, "index": B}

Item ``i`` of epoch ``e`` depends only on (seed, e, i): the photos x′, x″ (two distinct ones
when the product has two readable photos) and every augmentation parameter. Which worker
builds it, how many workers there are, and whether the run was resumed do not matter.
"""

from __future__ import annotations

import multiprocessing
import random
import warnings
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from skill_aug.catalog import Catalog, NoReadablePhotos
from skill_aug.catalog_policies import CatalogPolicies
from skill_aug.errors import CatalogError, ImageReadError, SkillAugError
from skill_aug.prepared import PreparedStore, preparation_key, read_prepared
from skill_train.eval.transform import to_tensor

__all__ = ["EpochSampler", "ProductDataset", "WorkerInit", "build_loader", "collate_views"]

#: How many other products an item tries, in a seeded order, when its own has no readable photo.
MAX_REPLACEMENTS = 32


class ViewPolicy(Protocol):
    """What the dataset needs of a :class:`skill_aug.Policy`."""

    n_global: int
    n_local: int

    def __call__(self, images: Sequence[np.ndarray], rng: Any = None) -> Any: ...


class ProductDataset(Dataset):
    """Item ``i`` = its policy's views of product ``i`` (paper Eq. 1–2), as normalised tensors.

    ``policies`` is one policy for every product, or a
    :class:`~skill_aug.catalog_policies.CatalogPolicies` giving each product its type's.

    ``ds[i]`` → ``{"global": [3xHxW]*n_global, "local": [3xhxw]*n_local, "index": i,
    "unreadable": [paths skipped while building it]}``.

    x′, x″ are the first two readable photos in a seeded random order of the product's
    photos, hence distinct when it has two or more. A product with no readable photo is
    replaced by another product drawn from the same seed (a warning once per process).
    The epoch lives in shared memory, so :meth:`set_epoch` reaches persistent workers.
    """

    def __init__(self, catalog: Catalog, policies: ViewPolicy | CatalogPolicies, seed: int = 0,
                 prepared: Mapping[str, PreparedStore] | None = None):
        if len(catalog) == 0:
            raise CatalogError(f"{catalog.source}: the catalogue has no products to train on")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        if not isinstance(policies, CatalogPolicies):
            policies = CatalogPolicies.single(policies, len(catalog))  # type: ignore[arg-type]
        if len(policies) != len(catalog):
            raise ValueError(f"{len(policies)} product policies for {len(catalog)} products")
        self.catalog = catalog
        self.policies = policies
        self.seed = int(seed)
        # H(x) stored once (`skill data prepare`): each policy's store, looked up once here, not per item
        self.prepared = {name: prepared.get(preparation_key(policy))
                         for name, policy in policies.policies.items()} if prepared else {}
        # Created before workers fork or spawn, so they all read the value the main process sets.
        self._epoch = multiprocessing.RawValue("q", 0)
        self._warned_replacement = False

    @property
    def epoch(self) -> int:
        """The epoch whose augmentations ``ds[i]`` draws."""
        return int(self._epoch.value)

    def set_epoch(self, epoch: int) -> None:
        """Draw epoch ``epoch``'s photos and augmentations from now on (also in live workers)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self._epoch.value = int(epoch)

    def __len__(self) -> int:
        return len(self.catalog)

    def __getitem__(self, index: int) -> dict[str, Any]:
        index = int(index)
        if not 0 <= index < len(self.catalog):
            raise IndexError(f"product index {index} out of range for {len(self.catalog)} products")
        epoch = self.epoch
        photo_seq, view_seq = np.random.SeedSequence([self.seed, epoch, index]).spawn(2)
        product, images, preprocessed, unreadable = self._photos(index, epoch, np.random.default_rng(photo_seq))
        # only a prepared store hands over H(x); a plain view policy need not know the argument
        extra = {"preprocessed": preprocessed} if any(preprocessed) else {}
        views = self.policies.for_index(product)(images, rng=np.random.default_rng(view_seq), **extra)
        return {
            "global": [to_tensor(v) for v in views.global_views],
            "local": [to_tensor(v) for v in views.local_views],
            "index": index,
            "unreadable": unreadable,
        }

    def _photos(self, index: int, epoch: int,
                rng: np.random.Generator) -> tuple[int, list[np.ndarray], list[bool], list[str]]:
        """The product read (``index``, or its seeded replacement), its x′ (and x″ when possible),
        which of them are prepared H(x), and the photos skipped on the way; the replacement's own
        policy augments them."""
        skipped: list[str] = []
        for attempt in range(MAX_REPLACEMENTS + 1):
            if attempt == 0:
                candidate, order_rng = index, rng
            else:
                order_rng = np.random.default_rng([self.seed, epoch, index, attempt])
                candidate = int(order_rng.integers(len(self.catalog)))
            order = order_rng.permutation(self.catalog.n_photos_of(candidate))
            try:
                images, preprocessed, unreadable = self._read(candidate, order)
            except NoReadablePhotos as err:
                skipped.extend(str(p) for p in self.catalog[candidate].paths)
                self._warn_replacement(err)
                continue
            skipped.extend(str(p) for p in unreadable)
            return candidate, images, preprocessed, skipped
        raise CatalogError(
            f"{self.catalog.source}: product {index} and {MAX_REPLACEMENTS} seeded replacements have no "
            f"readable photo ({self.catalog.failure_summary()})"
        )

    def _read(self, candidate: int, order: Sequence[int]) -> tuple[list[np.ndarray], list[bool], list[Path]]:
        """The first two readable photos of ``candidate`` in ``order``: each from its policy's prepared
        store when that holds it unchanged, else decoded no larger than the source size needs."""
        policy = self.policies.for_index(candidate)
        decode_size = getattr(policy, "source_size", None)
        store = self.prepared.get(self.policies.name_of(candidate))
        if store is None:
            read = self.catalog.read_photos(candidate, order, limit=2, decode_size=decode_size)
            return read.images, [False] * len(read.images), read.unreadable
        product = self.catalog[candidate]
        images: list[np.ndarray] = []
        preprocessed: list[bool] = []
        unreadable: list[Path] = []
        for i in order:
            if len(images) == 2:
                break
            stored = store.photo(product.paths[i])
            if stored is not None:
                try:
                    images.append(read_prepared(stored))
                    preprocessed.append(True)
                    continue
                except ImageReadError:
                    pass  # a damaged stored file: the source photo still serves
            try:
                images += self.catalog.read_photos(candidate, [i], decode_size=decode_size).images
                preprocessed.append(False)
            except NoReadablePhotos:
                unreadable.append(Path(product.paths[i]))
        if not images:
            raise NoReadablePhotos(product.product_id, f"product {product.product_id!r}: none of its photos is "
                                                       f"readable ({self.catalog.failure_summary()})")
        return images, preprocessed, unreadable

    def _warn_replacement(self, err: NoReadablePhotos) -> None:
        if self._warned_replacement:
            return
        self._warned_replacement = True
        warnings.warn(
            f"{err}; it is replaced by another product drawn from the seed "
            "(warned once; the skipped files are listed in each batch's 'unreadable')",
            stacklevel=3,
        )


def collate_views(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Stack items per view: ``{"global": [Bx3xHxW]*n_global, "local": [Bx3xhxw]*n_local,
    "index": LongTensor(B), "unreadable": [paths skipped in this batch]}``."""
    if not batch:
        raise ValueError("cannot collate an empty batch")
    n_global, n_local = len(batch[0]["global"]), len(batch[0]["local"])
    for item in batch:
        if len(item["global"]) != n_global or len(item["local"]) != n_local:
            raise ValueError(
                f"items disagree on view counts: {n_global}+{n_local} vs "
                f"{len(item['global'])}+{len(item['local'])} (global+local)"
            )
    return {
        "global": [torch.stack([item["global"][k] for item in batch]) for k in range(n_global)],
        "local": [torch.stack([item["local"][k] for item in batch]) for k in range(n_local)],
        "index": torch.tensor([int(item["index"]) for item in batch], dtype=torch.long),
        "unreadable": [path for item in batch for path in item.get("unreadable", ())],
    }


class EpochSampler(Sampler[list[int]]):
    """Batches of dataset indices for one rank: a batch sampler with DistributedSampler's semantics.

    Every epoch has one permutation of ``range(n)`` drawn from (seed, epoch), shared by all
    ranks; rank ``r`` takes every ``world_size``-th index starting at ``r`` (disjoint across
    ranks). ``drop_last`` drops the tail that does not divide evenly (and the last partial
    batch); otherwise the permutation is padded from its start, as DistributedSampler does,
    so every rank yields the same number of batches. ``start_batch`` skips batches already
    trained on, without loading them; :meth:`set_epoch` resets it to 0.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        drop_last: bool = True,
        rank: int = 0,
        world_size: int = 1,
        groups: Sequence[str] | None = None,
    ):
        if groups is not None and len(groups) != n:
            raise ValueError(f"groups must give one label per index: {len(groups)} labels for {n} indices")
        if n < 1 or batch_size < 1 or world_size < 1 or seed < 0:
            raise ValueError(
                f"need n >= 1, batch_size >= 1, world_size >= 1, seed >= 0; got {n}, {batch_size}, {world_size}, {seed}"
            )
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.shuffle, self.drop_last = shuffle, drop_last
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self._start_batch = 0
        self.groups = None if groups is None else [
            np.flatnonzero(np.asarray(groups, dtype=object) == label) for label in sorted(set(groups))]
        if self.batches_per_epoch == 0:
            raise SkillAugError(
                f"{n} items over {world_size} rank(s) give no full batch of {batch_size} per rank "
                "(drop_last); use a smaller batch size"
            )

    @property
    def samples_per_rank(self) -> int:
        """How many indices this rank gets per epoch."""
        if self.drop_last:
            return self.n // self.world_size
        return -(-self.n // self.world_size)

    @property
    def batches_per_epoch(self) -> int:
        """Batches per epoch on every rank, ignoring ``start_batch``."""
        if self.drop_last:
            return self.samples_per_rank // self.batch_size
        return -(-self.samples_per_rank // self.batch_size)

    @property
    def start_batch(self) -> int:
        """How many of this epoch's first batches the next iteration skips."""
        return self._start_batch

    @start_batch.setter
    def start_batch(self, value: int) -> None:
        if not 0 <= value <= self.batches_per_epoch:
            raise ValueError(f"start_batch must be in [0, {self.batches_per_epoch}], got {value}")
        self._start_batch = int(value)

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation and start at its first batch."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)
        self._start_batch = 0

    def rank_indices(self) -> list[int]:
        """This rank's indices for the current epoch, in order (before batching)."""
        order = self.epoch_order()
        total = self.samples_per_rank * self.world_size
        if total > self.n:  # pad from the start, as DistributedSampler does
            order = np.resize(order, total)
        return order[self.rank : total : self.world_size].tolist()

    def epoch_order(self) -> np.ndarray:
        """The current epoch's ``n`` indices, shared by all ranks: a permutation, or balanced draws."""
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.groups is not None:
            return _balanced_order(self.groups, self.n, rng)
        return rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self) -> int:
        return self.batches_per_epoch - self._start_batch

    def __iter__(self) -> Iterator[list[int]]:
        indices = self.rank_indices()
        for b in range(self._start_batch, self.batches_per_epoch):
            yield indices[b * self.batch_size : (b + 1) * self.batch_size]


def _balanced_order(groups: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices, each group filling an equal share of shuffled slots from cycled permutations of its members."""
    slots = rng.permutation(np.arange(n) % len(groups))
    order = np.empty(n, dtype=np.int64)
    for g, members in enumerate(groups):
        where = np.flatnonzero(slots == g)
        cycles = -(-len(where) // len(members))
        drawn = np.concatenate([rng.permutation(members) for _ in range(cycles)])
        order[where] = drawn[: len(where)]
    return order


class WorkerInit:
    """``worker_init_fn``: distinct, deterministic numpy/random/torch seeds per worker, one thread each.

    The dataset's own draws do not depend on these (they come from (seed, epoch, index));
    this keeps any code that uses the global generators reproducible and unrepeated.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)

    def __call__(self, worker_id: int) -> None:
        words = np.random.SeedSequence([self.seed, worker_id]).generate_state(4, dtype=np.uint32)
        np.random.seed(int(words[0]))
        random.seed(int(words[1]))
        torch.manual_seed((int(words[2]) << 32) | int(words[3]))
        torch.set_num_threads(1)  # workers run side by side; one intra-op thread each


def build_loader(
    dataset: Dataset,
    sampler: EpochSampler,
    workers: int,
    pin_memory: bool | None = None,
    prefetch_factor: int | None = None,
) -> DataLoader:
    """A DataLoader over ``sampler``'s batches, collated with :func:`collate_views`.

    ``pin_memory=None`` pins when CUDA is available. Workers persist across epochs (the
    epoch reaches them through shared memory) and are seeded by :class:`WorkerInit`.
    """
    if workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    extra: dict[str, Any] = {}
    if workers > 0:
        extra = {"worker_init_fn": WorkerInit(sampler.seed), "persistent_workers": True}
        if prefetch_factor is not None:
            extra["prefetch_factor"] = prefetch_factor
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=workers,
        collate_fn=collate_views,
        pin_memory=pin_memory,
        # A private generator: creating an iterator never consumes the global torch RNG.
        generator=torch.Generator().manual_seed(sampler.seed),
        **extra,
    )
