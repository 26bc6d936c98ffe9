"""The on-disk forms of a catalogue, read into the column lists :class:`~skill_aug.catalog.Catalog` holds.

- the **folder form**: ``ROOT/<product_id>/*.jpg|png|...``, one folder per product, listed
  without opening a photo (:func:`index_folder`);
- its optional ``ROOT/attributes.csv``: a ``product_id`` column and attribute columns, one row
  per product (:func:`read_attributes`);
- the **manifest form**: a CSV (``.csv``) or JSON Lines (``.jsonl`` / ``.ndjson``) file with
  one ``product_id, path, attributes...`` row per photo (:func:`index_manifest`).

docs/dataset-format.md describes the forms. Every problem is a one-line
:class:`~skill_aug.errors.CatalogError` naming the file and line.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Iterator, Sequence

from skill_aug.errors import CatalogError, CatalogWarning
from skill_aug.images import IMAGE_EXTENSIONS, is_image_name

__all__ = ["ATTRIBUTES_FILE", "MANIFEST_SUFFIXES", "SHOWN", "index_folder", "index_manifest", "read_attributes"]

#: The optional attributes file of a folder catalogue.
ATTRIBUTES_FILE = "attributes.csv"
#: Manifest file suffixes (lower case) and the parser each selects.
MANIFEST_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: How many ids / paths a warning or summary names before "...".
SHOWN = 5


# --------------------------------------------------------------------- folder form
def index_folder(root: Path) -> dict:
    """Index the folder form at ``root`` (no photo is opened): the :class:`Catalog` fields.

    Returns ``ids``, ``folders``, ``names`` (each product's photo file names, sorted),
    ``columns`` (from ``attributes.csv`` when present) and ``dropped_products`` (folders
    with no photo, dropped with one :class:`~skill_aug.errors.CatalogWarning`).
    """
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
        columns = read_attributes(attributes_file, ids, set(product_dirs))
    return {"ids": ids, "folders": folders, "names": names, "columns": columns, "dropped_products": empty}


def read_attributes(path: Path, ids: list[str], known: set[str]) -> dict[str, list[str | None]]:
    """attributes.csv → one column list per attribute, aligned with ``ids``.

    ``known`` holds every product folder name; a row naming none of them is an error. A
    product without a row, or an empty cell, gives ``None``.
    """
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
def index_manifest(path: Path, kind: str) -> dict:
    """Index a manifest (``kind`` is ``"csv"`` or ``"jsonl"``, see :data:`MANIFEST_SUFFIXES`).

    Returns the :class:`Catalog` fields ``ids``, ``folders``, ``names`` (absolute photo
    paths, relative ones resolved against the manifest's folder) and ``columns``; products
    keep the order of their first row, photos the order of their rows.
    """
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
    """``(line, product_id, path, attributes)`` for each row of a CSV manifest."""
    header, body = _csv_rows(path, required=("product_id", "path"), what="manifest")
    id_col, path_col = header.index("product_id"), header.index("path")
    attr_cols = [(n, i) for i, n in enumerate(header) if n not in ("product_id", "path")]
    for line, row in body:
        product_id, photo = row[id_col], row[path_col]
        _check_record(path, line, product_id, photo)
        yield line, product_id, photo, {n: row[i] or None for n, i in attr_cols}


def _jsonl_manifest_records(path: Path) -> Iterator[tuple[int, str, str, dict[str, str | None]]]:
    """``(line, product_id, path, attributes)`` for each non-blank line of a JSON Lines manifest."""
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
    """One JSON Lines record, checked: an object with ``product_id`` and ``path``."""
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
    """A JSON value as catalogue text: strings and numbers stripped, booleans ``true``/``false``,
    ``null`` or empty text ``None``."""
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
    """A manifest row must name its product and a photo."""
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
    """Column names are non-empty, unique and include ``required``."""
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
    """The first :data:`SHOWN` items, comma-separated, and how many more."""
    shown = ", ".join(items[:SHOWN])
    return shown + (f", ... ({len(items) - SHOWN} more)" if len(items) > SHOWN else "")
