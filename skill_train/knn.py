"""The end-of-training check: weighted k-NN attribute accuracy on held-out products.

    >>> split = holdout_split(catalog.products, fraction=0.2, seed=0)   # by design_id when present
    >>> report = knn_report(backbone, catalog, split, attributes=["pattern", "color"], size=64)
    >>> report["pattern"]          # {"accuracy": …, "chance": …, "n_classes": …, …}

Products of the test side never train the network (the trainer leaves them out), so the
accuracy measures generalisation to unseen designs. The k-NN itself is DINO's (cosine,
k=20, votes weighted by exp(similarity / 0.07)), shared with ``skill eval``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import cv2
import numpy as np
import torch
from torch import nn

from skill_train.evaluation.knn import knn_predict
from skill_train.evaluation.splits import group_split, row_groups

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
#: Columns that identify rather than describe a product; never evaluated.
ID_COLUMNS = {"product_id", "design_id", "path"}


@dataclass(frozen=True)
class HoldoutSplit:
    """Product indices on each side, and what was kept together (``design_id`` or ``product_id``)."""

    train: list[int]
    test: list[int]
    group_by: str


def holdout_split(products: Sequence[Any], fraction: float, seed: int = 0) -> HoldoutSplit:
    """Split products so that a design (or, without ``design_id``, a product) is on one side only."""
    ids = [p.product_id for p in products]
    groups, group_by = row_groups(ids, {p.product_id: p.attributes for p in products})
    split = group_split(groups, test_fraction=fraction, seed=seed, group_by=group_by)
    return HoldoutSplit(train=split.train.tolist(), test=split.test.tolist(), group_by=group_by)


def evaluable_attributes(products: Sequence[Any], preferred: Sequence[str] = ()) -> list[str]:
    """Attribute columns worth a k-NN: ``preferred`` ones first, each with 2 to 200 classes."""
    names: list[str] = []
    for product in products:
        names += [n for n in product.attributes if n not in names]
    ordered = [n for n in preferred if n in names] + [n for n in names if n not in preferred]
    keep = []
    for name in ordered:
        values = {p.attributes.get(name, "") for p in products} - {""}
        if name not in ID_COLUMNS and 2 <= len(values) <= 200:
            keep.append(name)
    return keep


def to_tensor(image: np.ndarray, size: int) -> torch.Tensor:
    """A whole photo squashed to ``size``×``size`` (area interpolation), ImageNet-normalised, CHW."""
    resized = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    x = (resized.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


@torch.no_grad()
def embed_products(
    backbone: nn.Module,
    catalog: Any,
    indices: Sequence[int],
    size: int,
    device: torch.device | str = "cpu",
    photos_per_product: int = 2,
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
    batch_size: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Backbone features of up to ``photos_per_product`` photos of each product; ``(features, product index per row)``.

    ``preprocess`` (e.g. the policy's H) is applied to each photo before resizing.
    """
    was_training = backbone.training
    backbone.eval()
    feats: list[np.ndarray] = []
    owners: list[int] = []
    pending: list[torch.Tensor] = []

    def flush() -> None:
        if pending:
            out = backbone(torch.stack(pending).to(device))
            feats.append(out.float().cpu().numpy())
            pending.clear()

    for index in indices:
        product = catalog[index]
        n = min(photos_per_product, len(product.paths))
        for image in catalog.load_images(product, list(range(n))):
            pending.append(to_tensor(preprocess(image) if preprocess else image, size))
            owners.append(index)
            if len(pending) == batch_size:
                flush()
    flush()
    backbone.train(was_training)
    dim = feats[0].shape[1] if feats else 0
    return (np.concatenate(feats) if feats else np.zeros((0, dim), np.float32)), np.asarray(owners, dtype=np.int64)


def knn_accuracy(
    products: Sequence[Any],
    train_feats: np.ndarray,
    train_owner: np.ndarray,
    test_feats: np.ndarray,
    test_owner: np.ndarray,
    attributes: Sequence[str],
    k: int = 20,
    temperature: float = 0.07,
) -> dict[str, dict[str, float]]:
    """Per attribute: k-NN accuracy over test photos, the chance level, the class count.

    Chance is the accuracy of the best constant guess: the share of the test rows' most
    common class.

    Rows whose product lacks the attribute are left out of that attribute's evaluation.
    """
    report: dict[str, dict[str, float]] = {}
    for name in attributes:
        train_y = np.asarray([products[i].attributes.get(name, "") for i in train_owner])
        test_y = np.asarray([products[i].attributes.get(name, "") for i in test_owner])
        tr, te = train_y != "", test_y != ""
        if tr.sum() == 0 or te.sum() == 0:
            continue
        predicted = knn_predict(train_feats[tr], train_y[tr], test_feats[te], k=k, temperature=temperature)
        # chance: the best constant guess, i.e. the share of the most common class among test rows
        most_common = Counter(test_y[te].tolist()).most_common(1)[0][1]
        report[name] = {
            "accuracy": float(np.mean(predicted == test_y[te])),
            "chance": most_common / int(te.sum()),
            "n_classes": int(len(set(train_y[tr].tolist()) | set(test_y[te].tolist()))),
            "n_train": int(tr.sum()),
            "n_test": int(te.sum()),
        }
    return report


def knn_report(
    backbone: nn.Module,
    catalog: Any,
    split: HoldoutSplit,
    attributes: Sequence[str],
    size: int,
    device: torch.device | str = "cpu",
    k: int = 20,
    temperature: float = 0.07,
    photos_per_product: int = 2,
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """Embed both sides of ``split`` with ``backbone`` and run :func:`knn_accuracy`."""
    train_f, train_o = embed_products(backbone, catalog, split.train, size, device, photos_per_product, preprocess)
    test_f, test_o = embed_products(backbone, catalog, split.test, size, device, photos_per_product, preprocess)
    return knn_accuracy(list(catalog), train_f, train_o, test_f, test_o, attributes, k, temperature)
