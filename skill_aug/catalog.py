"""A product catalogue: products, their photos and their attributes, indexed lazily.

    >>> from skill_aug.catalog import Catalog
    >>> cat = Catalog.open("data/dresses")          # ROOT/<product_id>/*.jpg + attributes.csv
    >>> cat = Catalog.open("data/manifest.jsonl")   # or a manifest: product_id, path, attributes
    >>> product = cat[0]                            # Product(product_id, paths, attributes)
    >>> photos = cat.load_images(product, [0, 1])   # HxWx3 uint8 RGB; unreadable ones skipped

Opening lists directories (or reads the manifest) and never opens a photo, so a catalogue of
100k products indexes in seconds. The forms it accepts are described in docs/dataset-format.md.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from skill_aug.errors import CatalogError, ImageReadError
from skill_aug.images import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    DEFAULT_MIN_SIDE,
    IMAGE_EXTENSIONS,
    is_image_name,
    read_image,
)

__all__ = [
    "ATTRIBUTES_FILE",
    "Catalog",
    "CatalogWarning",
    "NoReadablePhotos",
    "PhotoRead",
    "Product",
]

#: The optional attributes file of a folder catalogue.
ATTRIBUTES_FILE = "attributes.csv"
_MANIFEST_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_SHOWN = 5  # how many ids / paths a warning or summary names before "..."


class CatalogWarning(UserWarning):
    """Something in a catalogue was skipped (empty product folders, unreadable photos)."""


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
            return cls(**_index_folder(where), source=where, **limits)
        if not where.exists():
            raise CatalogError(f"{where}: no such folder or manifest file")
        kind = _MANIFEST_SUFFIXES.get(where.suffix.lower())
        if kind is None:
            raise CatalogError(
                f"{where}: not a catalogue; give a folder ROOT/<product_id>/*.jpg or a "
                "manifest ending in .csv or .jsonl"
            )
        return cls(**_index_manifest(where, kind), source=where, **limits)

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
        self, product: Product | int, indices: Iterable[int], *, limit: int | None = None
    ) -> PhotoRead:
        """Read ``product.paths[i]`` for ``i`` in ``indices``, in order, until ``limit`` photos
        were read (all of them when ``None``); unreadable files are skipped and counted.

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
                    read_image(path, max_side=self.max_side, min_side=self.min_side, max_pixels=self.max_pixels)
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
        return list(self._unreadable)[:_SHOWN]

    def failure_summary(self) -> str:
        """One line for people: how many photos were skipped and the first few, with reasons."""
        if not self._unreadable:
            return "no unreadable photos"
        shown = "; ".join(list(self._unreadable.values())[:_SHOWN])
        more = f"; and {len(self._unreadable) - _SHOWN} more" if len(self._unreadable) > _SHOWN else ""
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


# --------------------------------------------------------------------- folder form
def _index_folder(root: Path) -> dict:
    top = os.fspath(root)
    product_dirs: list[str] = []
    loose_images = 0
    try:
        with os.scandir(top) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    product_dirs.append(entry.name)
                elif is_image_name(entry.name):
                    loose_images += 1
    except OSError as err:
        raise CatalogError(f"{root}: cannot list the folder ({err.strerror or err})") from err
    if not product_dirs:
        hint = (
            f"; it holds {loose_images} loose image file(s): put each product's photos in ROOT/<product_id>/"
            if loose_images
            else ""
        )
        raise CatalogError(f"{root}: no product folders (expected ROOT/<product_id>/*.jpg){hint}")
    product_dirs.sort()

    ids: list[str] = []
    folders: list[str] = []
    names: list[tuple[str, ...]] = []
    empty: list[str] = []
    intern = sys.intern  # photo names repeat across products ("01.jpg"): share one string
    for product_id in product_dirs:
        folder = os.path.join(top, product_id)
        try:
            with os.scandir(folder) as entries:
                photos = sorted(
                    intern(e.name)
                    for e in entries
                    if not e.name.startswith(".") and is_image_name(e.name) and e.is_file()
                )
        except OSError as err:
            raise CatalogError(f"{folder}: cannot list the product folder ({err.strerror or err})") from err
        if not photos:
            empty.append(product_id)
            continue
        ids.append(product_id)
        folders.append(folder)
        names.append(tuple(photos))

    if empty:
        warnings.warn(
            f"{root}: dropped {len(empty)} product folder(s) with no photos "
            f"({', '.join(sorted(IMAGE_EXTENSIONS))}): {_first(empty)}",
            CatalogWarning,
            stacklevel=4,
        )
    if not ids:
        raise CatalogError(f"{root}: none of its {len(product_dirs)} product folders holds a photo")

    attributes_file = root / ATTRIBUTES_FILE
    columns: dict[str, list[str | None]] = {}
    if attributes_file.is_file():
        columns = _read_attributes(attributes_file, ids, set(product_dirs))
    return {"ids": ids, "folders": folders, "names": names, "columns": columns, "dropped_products": empty}


def _read_attributes(path: Path, ids: list[str], known: set[str]) -> dict[str, list[str | None]]:
    """attributes.csv → one column list per attribute, aligned with ``ids``."""
    rows = _csv_rows(path, required=("product_id",), what="attributes file")
    header, body = rows
    attr_names = [n for n in header if n != "product_id"]
    attr_cols = [header.index(n) for n in attr_names]
    id_col = header.index("product_id")
    first_line: dict[str, int] = {}
    values: dict[str, list[str | None]] = {}
    unknown: list[tuple[int, str]] = []
    for line, row in body:
        product_id = row[id_col]
        if not product_id:
            raise CatalogError(f"{path}:{line}: empty product_id; every row must name a product folder")
        if product_id in first_line:
            raise CatalogError(
                f"{path}:{line}: duplicate product_id {product_id!r} (first on line {first_line[product_id]}); "
                "give each product one row"
            )
        first_line[product_id] = line
        if product_id not in known:
            unknown.append((line, product_id))
            continue
        values[product_id] = [row[i] or None for i in attr_cols]
    if unknown:
        line, product_id = unknown[0]
        more = ""
        if len(unknown) > 1:
            more = f" ({len(unknown)} unknown ids in all: {_first([u[1] for u in unknown])})"
        raise CatalogError(
            f"{path}:{line}: product_id {product_id!r} has no folder {path.parent / product_id}{more}; "
            f"each product_id must name a folder of {path.parent}"
        )
    columns: dict[str, list[str | None]] = {n: [] for n in attr_names}
    missing = [None] * len(attr_names)
    for product_id in ids:
        row_values = values.get(product_id, missing)
        for n, v in zip(attr_names, row_values):
            columns[n].append(v)
    return columns


# --------------------------------------------------------------------- manifest form
def _index_manifest(path: Path, kind: str) -> dict:
    base = os.path.abspath(path.parent)
    records = _csv_manifest_records(path) if kind == "csv" else _jsonl_manifest_records(path)
    order: dict[str, int] = {}
    paths: list[list[str]] = []
    attrs: list[dict[str, str]] = []
    attr_lines: list[dict[str, int]] = []
    path_lines: list[dict[str, int]] = []
    attr_names: dict[str, None] = {}
    for line, product_id, photo, attributes in records:
        if product_id not in order:
            order[product_id] = len(paths)
            paths.append([])
            attrs.append({})
            attr_lines.append({})
            path_lines.append({})
        k = order[product_id]
        full = os.path.join(base, photo)
        if full in path_lines[k]:
            raise CatalogError(
                f"{path}:{line}: duplicate row for product {product_id!r} and path {photo!r} "
                f"(first on line {path_lines[k][full]}); list each photo once"
            )
        path_lines[k][full] = line
        paths[k].append(full)
        for name, value in attributes.items():
            attr_names.setdefault(name)
            if value is None:
                continue
            old = attrs[k].get(name)
            if old is not None and old != value:
                raise CatalogError(
                    f"{path}:{line}: product {product_id!r} has {name}={value!r} here but "
                    f"{name}={old!r} on line {attr_lines[k][name]}; a product's attributes must agree on every row"
                )
            attrs[k][name] = value
            attr_lines[k][name] = line
    if not order:
        raise CatalogError(f"{path}: the manifest lists no photos (expected rows of product_id, path)")
    columns = {n: [a.get(n) for a in attrs] for n in attr_names}
    return {
        "ids": list(order),
        "folders": [""] * len(order),
        "names": [tuple(p) for p in paths],
        "columns": columns,
    }


def _csv_manifest_records(path: Path) -> Iterator[tuple[int, str, str, dict[str, str | None]]]:
    header, body = _csv_rows(path, required=("product_id", "path"), what="manifest")
    id_col, path_col = header.index("product_id"), header.index("path")
    attr_cols = [(n, i) for i, n in enumerate(header) if n not in ("product_id", "path")]
    for line, row in body:
        product_id, photo = row[id_col], row[path_col]
        _check_record(path, line, product_id, photo)
        yield line, product_id, photo, {n: row[i] or None for n, i in attr_cols}


def _jsonl_manifest_records(path: Path) -> Iterator[tuple[int, str, str, dict[str, str | None]]]:
    try:
        handle = open(path, encoding="utf-8-sig")
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the manifest ({err.strerror or err})") from err
    with handle:
        line = 0
        try:
            for line, text in enumerate(handle, start=1):
                if text.strip():
                    yield _jsonl_record(path, line, text)
        except UnicodeDecodeError as err:
            raise CatalogError(f"{path}:{line + 1}: not UTF-8 text ({err.reason})") from None


def _jsonl_record(path: Path, line: int, text: str) -> tuple[int, str, str, dict[str, str | None]]:
    where = f"{path}:{line}"
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogError(f"{where}: not valid JSON ({err.msg}); each line must be one JSON object") from None
    if not isinstance(record, dict):
        kind = type(record).__name__
        raise CatalogError(f"{where}: a JSON {kind}, expected an object with product_id and path")
    for required in ("product_id", "path"):
        if required not in record:
            raise CatalogError(f"{where}: missing field {required!r}; each object needs product_id and path")
    product_id = _json_text(path, line, "product_id", record["product_id"]) or ""
    photo = _json_text(path, line, "path", record["path"]) or ""
    _check_record(path, line, product_id, photo)
    attributes = {
        str(k): _json_text(path, line, str(k), v) for k, v in record.items() if k not in ("product_id", "path")
    }
    return line, product_id, photo, attributes


def _json_text(path: Path, line: int, name: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    raise CatalogError(
        f"{path}:{line}: field {name!r} is a JSON {type(value).__name__}; values must be strings or numbers"
    )


def _check_record(path: Path, line: int, product_id: str, photo: str) -> None:
    if not product_id:
        raise CatalogError(f"{path}:{line}: empty product_id; every row must name its product")
    if not photo:
        raise CatalogError(
            f"{path}:{line}: empty path; every row must give a photo file (relative to {path.parent})"
        )


# --------------------------------------------------------------------- shared helpers
def _csv_rows(path: Path, *, required: tuple[str, ...], what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, stripped cells) of a CSV file, with one-line errors."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the {what} ({err.strerror or err})") from err
    body: list[tuple[int, list[str]]] = []
    with handle:
        reader = csv.reader(handle)
        try:
            header = [cell.strip() for cell in next(reader, [])]
            if not any(header):
                raise CatalogError(
                    f"{path}:1: empty {what}; the first line must name the columns ({', '.join(required)}, ...)"
                )
            _check_header(path, header, required, what)
            for row in reader:
                if not row or not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise CatalogError(
                        f"{path}:{reader.line_num}: {len(row)} field(s) but the header has {len(header)} "
                        f"({', '.join(header)})"
                    )
                body.append((reader.line_num, [cell.strip() for cell in row]))
        except csv.Error as err:
            raise CatalogError(f"{path}:{reader.line_num}: malformed CSV ({err})") from None
        except UnicodeDecodeError as err:
            raise CatalogError(f"{path}:{reader.line_num + 1}: not UTF-8 text ({err.reason})") from None
    return header, body


def _check_header(path: Path, header: list[str], required: tuple[str, ...], what: str) -> None:
    seen: set[str] = set()
    for name in header:
        if not name:
            raise CatalogError(f"{path}:1: an empty column name in the header; name every column")
        if name in seen:
            raise CatalogError(
                f"{path}:1: column {name!r} appears twice in the header; column names must be unique"
            )
        seen.add(name)
    for name in required:
        if name not in seen:
            hint = ""
            if what == "manifest" and name == "path" and path.name == ATTRIBUTES_FILE:
                hint = f" (to open a folder catalogue, give its folder {path.parent})"
            raise CatalogError(
                f"{path}:1: no {name!r} column in the {what} header (columns: {', '.join(header)}); "
                f"required: {', '.join(required)}{hint}"
            )


def _first(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f", ... ({len(items) - _SHOWN} more)" if len(items) > _SHOWN else "")
