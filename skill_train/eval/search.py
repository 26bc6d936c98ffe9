"""``skill search``: the most similar designs to a query photo, by exact cosine search.

    >>> hits = search(Path("runs/dress"), Catalog.open("data/dress"), Path("query.jpg"), k=10)
    >>> [(h.product_id, round(h.score, 3)) for h in hits]

The index is one L2-normalised mean embedding per product, built once per run and
catalogue and cached in ``RUN/search-index/``. Search is a matrix product over it, chunked,
so memory stays flat: exact, and fast enough for catalogues of ~10⁵–10⁶ products on one
machine (a 10⁶ × 384 float32 index is 1.5 GB; an approximate index such as faiss would
only pay off beyond that). With ``per="design"``, colourways of one design are folded
into the design's best-scoring product, so the results are distinct designs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skill_aug.catalog import CATEGORY_COLUMN
from skill_aug.images import read_image
from skill_train.eval.checks import check_search_options
from skill_train.eval.embed import embed_run, load_run, shown
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.metrics import l2_normalize
from skill_train.eval.transform import photo_tensor
from skill_train.models.device import resolve_device
from skill_train.run.folder import RunDir


@dataclass(frozen=True)
class Hit:
    """One result: the product, its design (or None), cosine similarity and a photo of it."""

    rank: int
    product_id: str
    design_id: str | None
    score: float
    path: str


def index_path(run_dir: Path, catalog: Any, input: str = "colour") -> Path:
    """Where the index of this run over this catalogue is cached (keyed by catalogue path and size,
    and by the input the backbone was shown: a grey index is another file)."""
    key = hashlib.sha1(f"{Path(str(catalog.source)).resolve()}|{len(catalog)}|{catalog.n_photos}".encode()).hexdigest()[:12]
    return RunDir(run_dir).search_index / (f"{key}.npz" if input == "colour" else f"{key}-{input}.npz")


def build_index(run_dir: Path, catalog: Any, device: str = "auto", workers: int = 0, rebuild: bool = False,
                input: str = "colour") -> EmbeddingTable:
    """Per-product mean embeddings of ``catalog`` (L2-normalised), cached under the run folder."""
    path = index_path(run_dir, catalog, input)
    weights = RunDir(run_dir).backbone
    if not rebuild and path.is_file() and weights.is_file() and path.stat().st_mtime >= weights.stat().st_mtime:
        return EmbeddingTable.load(path)
    table = embed_run(run_dir, catalog, per_product="mean", device=device, workers=workers, input=input)
    table = EmbeddingTable(table.product_id, table.path, l2_normalize(table.embedding), table.meta)
    table.save(path)
    return table


@torch.no_grad()
def embed_query(run_dir: Path, image_path: Path, device: str = "cpu", category: str | None = None,
                input: str = "colour") -> np.ndarray:
    """The L2-normalised embedding of one photo, with the run's eval transform (and H: ``category``'s
    when the run trained one policy per category), shown as ``input``."""
    run = load_run(run_dir)
    image = read_image(image_path)
    if run.preprocess is not None:
        image = run.preprocess(image, category=category)
    x = photo_tensor(shown(image, input), run.img_size)[None].to(device)
    return l2_normalize(run.model.to(device)(x).float().cpu().numpy())[0]


def top_k(index: np.ndarray, query: np.ndarray, k: int, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores of the ``k`` rows of ``index`` most similar to ``query`` (best first)."""
    scores = np.concatenate([index[i : i + chunk] @ query for i in range(0, len(index), chunk)])
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return best, scores[best]


def search(
    run_dir: Path,
    catalog: Any,
    query: Path,
    k: int = 10,
    per: str = "design",
    device: str = "auto",
    workers: int = 0,
    category: str | None = None,
    column: str = CATEGORY_COLUMN,
    input: str = "colour",
) -> list[Hit]:
    """The ``k`` products (or distinct designs, ``per="design"``) most similar to the photo ``query``;
    with ``category``, only products whose ``column`` says ``category`` (e.g. the query's own type)."""
    check_search_options(k, per, workers, input)
    index = build_index(Path(run_dir), catalog, device, workers, input=input)
    q = embed_query(Path(run_dir), Path(query), str(resolve_device(device)), category, input)
    designs = {p.product_id: p.attributes.get("design_id") for p in catalog}
    allowed = None
    if category is not None:
        allowed = {p.product_id for p in catalog if p.attributes.get(column) == category}
        if not allowed:
            raise EvaluationError(f"--category {category!r}: no product of {catalog.source} has it in column "
                                  f"'{column}' (values: {', '.join(catalog.categories(column)) or 'none'})")
    whole = per == "design" or allowed is not None
    order, scores = top_k(index.embedding, q, len(index) if whole else k)
    hits: list[Hit] = []
    seen: set[str] = set()
    for i, score in zip(order, scores):
        pid = str(index.product_id[i])
        if allowed is not None and pid not in allowed:
            continue
        design = designs.get(pid)
        if per == "design" and design:
            if design in seen:
                continue
            seen.add(design)
        hits.append(Hit(len(hits) + 1, pid, design, float(score), str(index.path[i])))
        if len(hits) == k:
            break
    return hits


def query_category(catalog: Any, query: Path, column: str = CATEGORY_COLUMN) -> str:
    """The category of the catalogue product ``query`` is a photo of (``--same-category``)."""
    target = Path(query).resolve()
    for product in catalog:
        if any(Path(path).resolve() == target for path in product.paths):
            value = product.attributes.get(column)
            if not value:
                raise EvaluationError(f"--same-category: product {product.product_id!r} of the query photo has no "
                                      f"'{column}' (name one with --category)")
            return value
    raise EvaluationError(f"--same-category: {query} is not a photo of {catalog.source}; name the query's "
                          f"category with --category (values: {', '.join(catalog.categories(column)) or 'none'})")


def result_strip(query: Path, hits: list[Hit], out: Path, size: int = 128) -> Path:
    """A PNG: the query photo, then each hit's photo with its rank, product id and score."""
    from skill_train.eval.plots import grid, thumbnail, write_png

    tiles = [thumbnail(read_image(query), size, ["query", Path(query).name[:18]])]
    for hit in hits:
        tiles.append(thumbnail(read_image(hit.path), size, [f"#{hit.rank} {hit.product_id[:16]}", f"cos {hit.score:.3f}"]))
    return write_png(out, grid([tiles]))
