"""Embeddings of a catalogue's photos from a run's exported backbone.

    >>> model = load_run("runs/dress-cpu")            # backbone.safetensors + model_config.json
    >>> table = embed_catalog(model, Catalog.open("data/dress"))
    >>> table.mean_per_product().save("dress.npz")

The eval transform is the whole photo (after the run's preprocessing H, when its
``policy.yaml`` has one) squashed to the backbone's ``img_size`` with area interpolation
and normalised with ImageNet mean/std — the trainer's own end-of-training transform.
With ``input="grey"`` the photo after H is turned grey first (its luma in three channels,
as the policies' ``ToGray`` makes it): an embedding that cannot see colour (see
docs/ablations.md, "Colour"). Photos are read in DataLoader workers; the model runs on
CUDA when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn
from torch.utils.data import DataLoader, Dataset

from skill_aug.catalog import NoReadablePhotos
from skill_aug.images import grey_rgb
from skill_train.eval.checks import check_embed_options
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.transform import photo_tensor
from skill_train.models.device import resolve_device
from skill_train.run.export import load_exported_backbone, read_model_config
from skill_train.run.folder import RunDir

DEFAULT_SIZE = 224


@dataclass
class LoadedRun:
    """A run's embedding model, the size it embeds at, and its preprocessing H (or None)."""

    run_dir: Path
    model: nn.Module
    model_config: dict[str, Any]
    img_size: int
    preprocess: Callable[..., np.ndarray] | None  # a Preprocess: each product's H
    policy_name: str | None


def shown(image: np.ndarray, input: str) -> np.ndarray:
    """What the backbone is shown of a photo after H: the photo itself (``colour``) or its grey version."""
    return grey_rgb(image) if input == "grey" else image


class Preprocess:
    """Each product's H as a picklable callable (DataLoader workers may be spawned): ``pre(image, product)``.

    ``policies`` is one policy, or a :class:`~skill_aug.catalog_policies.CatalogPolicies` whose
    categories pick each product's policy; a product of a category it does not know (or no
    product) gets its only policy's H when it has one policy, else none.
    """

    def __init__(self, policies: Any):
        from skill_aug.catalog_policies import CatalogPolicies

        self.policies = policies if isinstance(policies, CatalogPolicies) else CatalogPolicies.single(policies, 0)

    def policy_of(self, product: Any = None, category: str | None = None) -> Any:
        """The policy whose H ``product`` (or a photo of ``category``) gets (``None``: none)."""
        from skill_aug.catalog_policies import category_of

        if product is not None:
            category = category_of(product, self.policies.column)
        if self.policies.pinned or category is None:
            return self.policies.first if len(self.policies.policies) == 1 else None
        return self.policies.for_category(category)

    def __call__(self, image: np.ndarray, product: Any = None, category: str | None = None) -> np.ndarray:
        policy = self.policy_of(product, category)
        return policy.preprocess(image, seed=0) if policy is not None else image


def _img_size(run_dir: Path, model_config: dict[str, Any], model: nn.Module) -> int:
    """``img_size`` of the timm config; else the run's high-res view size; else the model's default."""
    size = model_config.get("img_size")
    if size is None:
        size = RunDir(run_dir).config_values().get("high_res_size")
    if size is None:
        size = getattr(model, "pretrained_cfg", {}).get("input_size", (3, DEFAULT_SIZE, DEFAULT_SIZE))[-1]
    return int(size[-1] if isinstance(size, (list, tuple)) else size)


def load_run(run_dir: str | Path, preprocess: bool = True) -> LoadedRun:
    """Load a run folder's exported backbone (eval mode) and, with ``preprocess``, its policy's H."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise EvaluationError(f"--checkpoint {run_dir}: no such run folder")
    model = load_exported_backbone(run_dir)
    model_config = read_model_config(run_dir)
    fn, name = None, None
    policies = RunDir(run_dir).load_policies() if preprocess else None
    if policies is not None:
        name = policies.first.spec.name if len(policies.policies) == 1 else policies.name
        if any(p.spec.preprocess for p in policies.policies.values()):
            fn = Preprocess(policies)
    return LoadedRun(run_dir, model, model_config, _img_size(run_dir, model_config, model), fn, name)


class _PhotoDataset(Dataset):
    """(product index, photo index) pairs → normalised tensors; unreadable photos give None."""

    def __init__(self, catalog: Any, items: list[tuple[int, int]], size: int, preprocess: Callable | None,
                 input: str = "colour"):
        self.catalog, self.items, self.size, self.preprocess, self.input = catalog, items, size, preprocess, input

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor | None]:
        product_index, photo = self.items[i]
        try:
            images = self.catalog.load_images(self.catalog[product_index], [photo])
        except NoReadablePhotos:  # skipped here, counted by embed_catalog
            return i, None
        image = images[0]
        if isinstance(self.preprocess, Preprocess):
            image = self.preprocess(image, self.catalog[product_index])
        elif self.preprocess:
            image = self.preprocess(image)
        return i, photo_tensor(shown(image, self.input), self.size)


def _collate(batch: list[tuple[int, torch.Tensor | None]]) -> tuple[list[int], torch.Tensor | None, int]:
    kept = [(i, t) for i, t in batch if t is not None]
    if not kept:
        return [], None, len(batch)
    return [i for i, _ in kept], torch.stack([t for _, t in kept]), len(batch)


@torch.no_grad()
def embed_catalog(
    model: nn.Module,
    catalog: Any,
    size: int,
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
    device: str = "auto",
    batch_size: int = 64,
    workers: int = 0,
    photos_per_product: int | None = None,
    show_progress: bool = True,
    input: str = "colour",
) -> EmbeddingTable:
    """One embedding per readable photo (the first ``photos_per_product`` of each product, or all),
    of the photo after ``preprocess`` as it is or, with ``input="grey"``, turned grey."""
    dev = resolve_device(str(device))
    items = [
        (p, k)
        for p in range(len(catalog))
        for k in range(min(catalog.n_photos_of(p), photos_per_product or 10**9))
    ]
    if not items:
        raise EvaluationError(f"{catalog.source}: the catalogue has no photos to embed")
    loader = DataLoader(
        _PhotoDataset(catalog, items, size, preprocess, input),
        batch_size=batch_size,
        num_workers=workers,
        collate_fn=_collate,
        pin_memory=dev.type == "cuda",
    )
    was_training = model.training
    model = model.to(dev).eval()
    rows: list[int] = []
    chunks: list[np.ndarray] = []
    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TextColumn("photos"), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress, transient=True) as progress:
        task = progress.add_task("embed", total=len(items))
        for indices, batch, n_read in loader:
            if batch is not None:
                out = model(batch.to(dev, non_blocking=True))
                chunks.append(out.float().cpu().numpy())
                rows += indices
            progress.advance(task, n_read)
    model.train(was_training)
    if not rows:
        raise EvaluationError(f"{catalog.source}: none of the {len(items)} photos could be read")
    all_ids = catalog.product_ids
    product_ids = np.asarray([all_ids[items[i][0]] for i in rows])
    paths = np.asarray([str(catalog[items[i][0]].paths[items[i][1]]) for i in rows])
    meta = {
        "size": size,
        "preprocess": preprocess is not None,
        "input": input,
        "photos": len(items),
        "unreadable": len(items) - len(rows),
        "device": str(dev),
    }
    return EmbeddingTable(product_ids, paths, np.concatenate(chunks).astype(np.float32), meta)


def embed_run(
    run_dir: str | Path,
    catalog: Any,
    per_product: str | None = None,
    preprocess: bool = True,
    device: str = "auto",
    batch_size: int = 64,
    workers: int = 0,
    show_progress: bool = True,
    input: str = "colour",
) -> EmbeddingTable:
    """Embed ``catalog`` with a run's backbone; ``per_product="mean"`` averages each product's photos;
    ``input="grey"`` shows the backbone each photo's grey version."""
    check_embed_options(batch_size, workers, per_product, input)
    run = load_run(run_dir, preprocess=preprocess)
    table = embed_catalog(run.model, catalog, run.img_size, run.preprocess, device, batch_size, workers,
                          show_progress=show_progress, input=input)
    table.meta.update(run=str(run.run_dir), policy=run.policy_name, data=str(catalog.source))
    return table.mean_per_product() if per_product == "mean" else table
