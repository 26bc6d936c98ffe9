"""A product catalogue: products, their photos and their attributes, indexed lazily.

    >>> from skill_aug.catalog import Catalog
    >>> cat = Catalog.open("data/dresses")          # ROOT/<product_id>/*.jpg + attributes.csv
    >>> cat = Catalog.open("data/manifest.jsonl")   # or a manifest: product_id, path, attributes
    >>> product = cat[0]                            # Product(product_id, paths, attributes)
    >>> photos = cat.load_images(product, [0, 1])   # HxWx3 uint8 RGB; unreadable ones skipped

Opening lists directories (or reads the manifest) and never opens a photo, so a catalogue of
100k products indexes in seconds. The forms it accepts are described in docs/dataset-format.md
and read by :mod:`skill_aug.catalog_formats`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from skill_aug.catalog_formats import ATTRIBUTES_FILE, MANIFEST_SUFFIXES, SHOWN, index_folder, index_manifest
from skill_aug.errors import CatalogError, CatalogWarning, ImageReadError
from skill_aug.images import DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE, DEFAULT_MIN_SIDE, read_image

#: The column that names each product's type (a product type name, e.g. ``dress``).
CATEGORY_COLUMN = "category"

__all__ = [
    "ATTRIBUTES_FILE",
    "Catalog",
    "CatalogWarning",
    "NoReadablePhotos",
    "PhotoRead",
    "Product",
]


class NoReadablePhotos(CatalogError):
    """None of the requested photos of a product could be read; the caller may drop it."""

    def __init__(self, product_id: str, message: str):
        self.product_id = product_id
        super().__init__(message)


@dataclass(frozen=True)
class Product:
    """One product: its id, its photos (in a stable order) and its attribute labels.

    ``attributes`` holds only the labels the catalogue gives for this product (an empty
    cell is absent, not ``""``).
    """

    product_id: str
    paths: tuple[Path, ...]
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class PhotoRead:
    """What :meth:`Catalog.read_photos` got: the photos, which ``paths`` they came from,
    and the paths it skipped as unreadable on the way."""

    images: list[np.ndarray]
    indices: list[int]
    unreadable: list[Path]


class Catalog:
    """An indexed catalogue of products. Build one with :meth:`open` or :meth:`from_products`.

    Photos are read only by :meth:`load_images` / :meth:`read_photos`, robustly: a photo
    that cannot be read is skipped, remembered (it is not retried) and counted in
    :attr:`read_failures`, per process.
    """

    def __init__(
        self,
        ids: list[str],
        folders: list[str],
        names: list[tuple[str, ...]],
        columns: dict[str, list[str | None]],
        *,
        source: Path | None = None,
        dropped_products: Sequence[str] = (),
        max_side: int | None = DEFAULT_MAX_SIDE,
        min_side: int | None = DEFAULT_MIN_SIDE,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ):
        """Low-level constructor over column lists; prefer :meth:`open` or :meth:`from_products`."""
        if not (len(ids) == len(folders) == len(names)) or any(len(c) != len(ids) for c in columns.values()):
            raise ValueError("ids, folders, names and every attribute column must have one entry per product")
        self._ids = ids
        self._folders = folders
        self._names = names
        self._columns = columns
        self.source = source
        self.dropped_products: tuple[str, ...] = tuple(dropped_products)
        self.max_side = max_side
        self.min_side = min_side
        self.max_pixels = max_pixels
        self._unreadable: dict[str, str] = {}

    # ----------------------------------------------------------------- construction
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        max_side: int | None = DEFAULT_MAX_SIDE,
        min_side: int | None = DEFAULT_MIN_SIDE,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> Catalog:
        """Index a folder catalogue or a ``.csv`` / ``.jsonl`` manifest (no photo is opened).

        ``max_side``, ``min_side`` and ``max_pixels`` are passed to
        :func:`skill_aug.images.read_image` whenever a photo is loaded.
        """
        where = Path(path)
        limits = {"max_side": max_side, "min_side": min_side, "max_pixels": max_pixels}
        if where.is_dir():
            return cls(**index_folder(where), source=where, **limits)
        if not where.exists():
            raise CatalogError(f"{where}: no such folder or manifest file")
        kind = MANIFEST_SUFFIXES.get(where.suffix.lower())
        if kind is None:
            raise CatalogError(
                f"{where}: not a catalogue; give a folder ROOT/<product_id>/*.jpg or a "
                "manifest ending in .csv or .jsonl"
            )
        return cls(**index_manifest(where, kind), source=where, **limits)

    @classmethod
    def from_products(cls, products: Iterable[Product], **limits: int | None) -> Catalog:
        """A catalogue over products already in memory (duplicate ids are an error)."""
        products = list(products)
        names_seen: dict[str, None] = {}
        for product in products:
            names_seen.update(dict.fromkeys(product.attributes))
        ids: list[str] = []
        seen: set[str] = set()
        for product in products:
            if product.product_id in seen:
                raise CatalogError(f"duplicate product_id {product.product_id!r}; ids must be unique")
            seen.add(product.product_id)
            ids.append(product.product_id)
        columns = {n: [p.attributes.get(n) for p in products] for n in names_seen}
        return cls(
            ids,
            [""] * len(products),
            [tuple(os.fspath(p) for p in product.paths) for product in products],
            columns,
            **limits,
        )

    # ----------------------------------------------------------------- the index
    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> Product:
        folder = self._folders[index]
        paths = tuple(Path(folder, name) for name in self._names[index])
        attributes = {n: v for n, col in self._columns.items() if (v := col[index]) is not None}
        return Product(self._ids[index], paths, attributes)

    def __iter__(self) -> Iterator[Product]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"Catalog({len(self)} products, {self.n_photos} photos, source={self.source})"

    @property
    def products(self) -> list[Product]:
        """Every product as a :class:`Product` (built on each call; ``cat[i]`` builds one)."""
        return list(self)

    @property
    def product_ids(self) -> list[str]:
        """The product ids, in catalogue order."""
        return list(self._ids)

    @property
    def n_photos(self) -> int:
        """How many photo paths the index holds (readable or not: nothing was opened)."""
        return sum(len(names) for names in self._names)

    def n_photos_of(self, index: int) -> int:
        """How many photo paths product ``index`` has, without building the Product."""
        return len(self._names[index])

    @property
    def attribute_names(self) -> list[str]:
        """The attribute columns, in file order (``product_id`` / ``path`` excluded)."""
        return list(self._columns)

    def attribute_values(self, name: str) -> list[str | None]:
        """One value per product for attribute ``name``; ``None`` where a product has none."""
        if name not in self._columns:
            valid = ", ".join(self._columns) or "none"
            raise CatalogError(f"{self.source}: no attribute {name!r}; attributes: {valid}")
        return list(self._columns[name])

    def categories(self, column: str = CATEGORY_COLUMN) -> dict[str, int]:
        """Products per value of the ``category`` column (the product type), most common first;
        empty when there is no such column. Products without a value are not counted."""
        if column not in self._columns:
            return {}
        counts: dict[str, int] = {}
        for value in self._columns[column]:
            if value:
                counts[value] = counts.get(value, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def subset(self, indices: Iterable[int]) -> Catalog:
        """A catalogue of the products at ``indices`` (in that order), with fresh failure counts."""
        picked = [int(i) for i in indices]
        for i in picked:
            if not -len(self) <= i < len(self):
                raise IndexError(f"product index {i} out of range for {len(self)} products")
        return Catalog(
            [self._ids[i] for i in picked],
            [self._folders[i] for i in picked],
            [self._names[i] for i in picked],
            {n: [col[i] for i in picked] for n, col in self._columns.items()},
            source=self.source,
            max_side=self.max_side,
            min_side=self.min_side,
            max_pixels=self.max_pixels,
        )

    # ----------------------------------------------------------------- reading photos
    def read_photos(
        self, product: Product | int, indices: Iterable[int], *, limit: int | None = None,
        decode_size: int | None = None,
    ) -> PhotoRead:
        """Read ``product.paths[i]`` for ``i`` in ``indices``, in order, until ``limit`` photos
        were read (all of them when ``None``); unreadable files are skipped and counted.
        ``decode_size``: the shorter side the caller needs at most (see :func:`read_image`).

        Raises :class:`NoReadablePhotos` if not one of the requested photos could be read.
        """
        if isinstance(product, (int, np.integer)):
            product = self[int(product)]
        images: list[np.ndarray] = []
        used: list[int] = []
        unreadable: list[Path] = []
        for i in indices:
            if limit is not None and len(images) >= limit:
                break
            path = product.paths[i]
            key = os.fspath(path)
            if key in self._unreadable:
                unreadable.append(path)
                continue
            try:
                images.append(
                    read_image(path, max_side=self.max_side, min_side=self.min_side, max_pixels=self.max_pixels,
                               decode_size=decode_size)
                )
            except ImageReadError as err:
                self._record_failure(key, str(err))
                unreadable.append(path)
                continue
            used.append(i)
        if not images:
            if not unreadable:
                raise ValueError(f"product {product.product_id!r}: no photo index requested")
            first = self._unreadable[os.fspath(unreadable[0])]
            raise NoReadablePhotos(
                product.product_id,
                f"product {product.product_id!r}: none of its {len(unreadable)} requested photo(s) "
                f"is readable (first: {first})",
            )
        return PhotoRead(images, used, unreadable)

    def load_images(
        self, product: Product | int, indices: Iterable[int], *, limit: int | None = None
    ) -> list[np.ndarray]:
        """The readable photos among ``indices`` of ``product`` (see :meth:`read_photos`)."""
        return self.read_photos(product, indices, limit=limit).images

    @property
    def read_failures(self) -> int:
        """How many distinct photo files failed to read in this process so far."""
        return len(self._unreadable)

    @property
    def failed_paths(self) -> list[str]:
        """The first few photo files that failed to read (in the order they failed)."""
        return list(self._unreadable)[:SHOWN]

    def failure_summary(self) -> str:
        """One line for people: how many photos were skipped and the first few, with reasons."""
        if not self._unreadable:
            return "no unreadable photos"
        shown = "; ".join(list(self._unreadable.values())[:SHOWN])
        more = f"; and {len(self._unreadable) - SHOWN} more" if len(self._unreadable) > SHOWN else ""
        return f"{len(self._unreadable)} unreadable photo(s) skipped: {shown}{more}"

    def _record_failure(self, key: str, message: str) -> None:
        if not self._unreadable:
            warnings.warn(
                f"skipping unreadable photo: {message} (further ones are only counted: "
                "Catalog.read_failures / failure_summary())",
                CatalogWarning,
                stacklevel=3,
            )
        self._unreadable[key] = message
