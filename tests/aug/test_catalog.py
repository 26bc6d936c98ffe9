"""Catalog on real folders and manifests written into tmp_path."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import skill_aug.catalog as catalog_module
from skill_aug.catalog import Catalog, CatalogWarning, NoReadablePhotos, Product
from skill_aug.errors import CatalogError


def _photo(path: Path, colour: tuple[int, int, int] = (200, 30, 30), size: int = 40) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), colour).save(path)
    return path


def _folder_catalogue(root: Path, products: dict[str, int]) -> Path:
    for product_id, n in products.items():
        (root / product_id).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            _photo(root / product_id / f"{j:02d}.png", (10 * j, 50, 100))
    return root


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ folder form
def test_folder_catalogue_with_attributes(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"b2": 2, "a1": 3})
    _photo(root / "a1" / "extra.JPG")  # upper-case extension counts
    (root / "a1" / "notes.txt").write_text("not a photo")
    (root / "a1" / ".hidden.png").write_bytes(b"")
    (root / ".cache").mkdir()
    _write(root / "attributes.csv", "product_id,pattern,color\na1,floral,red\nb2,striped,\n")

    cat = Catalog.open(root)
    assert len(cat) == 2 and cat.product_ids == ["a1", "b2"]  # sorted, hidden folder ignored
    first = cat[0]
    assert isinstance(first, Product)
    assert [p.name for p in first.paths] == ["00.png", "01.png", "02.png", "extra.JPG"]
    assert first.attributes == {"pattern": "floral", "color": "red"}
    assert cat[1].attributes == {"pattern": "striped"}  # an empty cell is absent, not ""
    assert cat.attribute_names == ["pattern", "color"]
    assert cat.attribute_values("color") == ["red", None]
    assert cat.n_photos == 6 and cat.n_photos_of(1) == 2
    assert [p.product_id for p in cat.products] == ["a1", "b2"]


def test_folder_without_attributes_file(tmp_path: Path) -> None:
    cat = Catalog.open(_folder_catalogue(tmp_path / "cat", {"x": 1}))
    assert cat.attribute_names == [] and cat[0].attributes == {}


def test_product_without_attributes_row_has_none(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 1, "b": 1})
    _write(root / "attributes.csv", "product_id,pattern\na,solid\n")
    assert Catalog.open(root).attribute_values("pattern") == ["solid", None]


def test_empty_product_folders_are_dropped_with_a_warning(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"full": 2, "empty1": 0, "empty2": 0})
    (root / "empty2" / "readme.txt").write_text("no photos here")
    _write(root / "attributes.csv", "product_id,pattern\nfull,solid\nempty1,dots\n")  # known, just empty
    with pytest.warns(CatalogWarning, match=r"dropped 2 product folder\(s\) with no photos.*empty1, empty2"):
        cat = Catalog.open(root)
    assert cat.product_ids == ["full"] and cat.dropped_products == ("empty1", "empty2")


def test_folder_with_no_products_or_loose_images(tmp_path: Path) -> None:
    root = tmp_path / "flat"
    _photo(root / "a.jpg")
    with pytest.raises(CatalogError, match="1 loose image file"):
        Catalog.open(root)
    only_empty = _folder_catalogue(tmp_path / "empty", {"p": 0})
    with pytest.warns(CatalogWarning), pytest.raises(CatalogError, match="none of its 1 product folders holds a photo"):
        Catalog.open(only_empty)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("id,pattern\na,solid\n", r"attributes.csv:1: no 'product_id' column .*columns: id, pattern"),
        ("product_id,pattern\na,solid\nzz,dots\n", r"attributes.csv:3: product_id 'zz' has no folder"),
        ("product_id,pattern\na,solid\nb,dots\na,floral\n", r"attributes.csv:4: duplicate product_id 'a' \(first on line 2\)"),
        ("product_id,pattern\na,solid,extra\n", r"attributes.csv:2: 3 field\(s\) but the header has 2"),
        ("product_id,pattern,pattern\na,x,y\n", r"attributes.csv:1: column 'pattern' appears twice"),
        ("product_id,pattern\n,solid\n", r"attributes.csv:2: empty product_id"),
        ("", r"attributes.csv:1: empty attributes file"),
    ],
)
def test_attributes_file_errors(tmp_path: Path, text: str, match: str) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 1, "b": 1})
    _write(root / "attributes.csv", text)
    with pytest.raises(CatalogError, match=match) as info:
        Catalog.open(root)
    assert "\n" not in str(info.value)


def test_unknown_ids_are_all_counted(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 1})
    _write(root / "attributes.csv", "product_id\na\nq1\nq2\nq3\n")
    with pytest.raises(CatalogError, match=r":3: product_id 'q1'.*3 unknown ids in all: q1, q2, q3"):
        Catalog.open(root)


def test_attributes_file_with_bom_and_spaces(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 1})
    (root / "attributes.csv").write_bytes("\ufeffproduct_id, pattern\r\na , solid \r\n".encode())
    assert Catalog.open(root)[0].attributes == {"pattern": "solid"}


# ------------------------------------------------------------------ manifests
def test_csv_manifest_relative_and_absolute_paths(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    _photo(photos / "one.jpg")
    _photo(photos / "two.jpg")
    elsewhere = _photo(tmp_path / "elsewhere" / "three.png")
    (tmp_path / "lists").mkdir()
    manifest = _write(
        tmp_path / "lists" / "manifest.csv",
        "product_id,path,pattern,color\n"
        "p1,../photos/one.jpg,floral,\n"
        "p1,../photos/two.jpg,floral,red\n"
        f"p2,{elsewhere},solid,blue\n",
    )
    cat = Catalog.open(manifest)
    assert cat.product_ids == ["p1", "p2"]
    assert [p.resolve() for p in cat[0].paths] == [(photos / "one.jpg").resolve(), (photos / "two.jpg").resolve()]
    assert cat[1].paths == (elsewhere,)
    assert cat[0].attributes == {"pattern": "floral", "color": "red"}  # merged across rows
    assert cat.attribute_names == ["pattern", "color"]
    assert len(cat.load_images(cat[0], [0, 1])) == 2


def test_manifest_resolves_against_its_folder_not_the_cwd(tmp_path: Path, monkeypatch) -> None:
    _photo(tmp_path / "data" / "a.png")
    manifest = _write(tmp_path / "data" / "m.csv", "product_id,path\np,a.png\n")
    monkeypatch.chdir(tmp_path)
    cat = Catalog.open(Path("data/m.csv"))
    assert cat[0].paths[0].is_absolute() and cat[0].paths[0].exists()
    assert manifest.exists()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("product_id,file\np,a.png\n", r"m.csv:1: no 'path' column in the manifest header \(columns: product_id, file\)"),
        ("path,color\na.png,red\n", r"m.csv:1: no 'product_id' column"),
        ("product_id,path\np,\n", r"m.csv:2: empty path"),
        ("product_id,path,color\np,a.png,red\np,b.png,blue\n", r"m.csv:3: product 'p' has color='blue' here but color='red' on line 2"),
        ("product_id,path\np,a.png\nq,b.png\np,a.png\n", r"m.csv:4: duplicate row for product 'p' and path 'a.png' \(first on line 2\)"),
        ("product_id,path\n", r"m.csv: the manifest lists no photos"),
    ],
)
def test_csv_manifest_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(CatalogError, match=match):
        Catalog.open(_write(tmp_path / "m.csv", text))


def test_attributes_csv_given_as_a_manifest_gets_a_hint(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 1})
    _write(root / "attributes.csv", "product_id,pattern\na,solid\n")
    with pytest.raises(CatalogError, match=r"to open a folder catalogue, give its folder"):
        Catalog.open(root / "attributes.csv")


def test_jsonl_manifest(tmp_path: Path) -> None:
    _photo(tmp_path / "a.png")
    _photo(tmp_path / "b.png")
    lines = [
        {"product_id": 7, "path": "a.png", "pattern": "dots", "design_id": 12, "sleeve": None},
        {"product_id": 7, "path": "b.png"},
        {"product_id": "x", "path": "b.png", "sleeve": "long", "sale": True},
    ]
    manifest = _write(tmp_path / "m.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n\n")
    cat = Catalog.open(manifest)
    assert cat.product_ids == ["7", "x"]
    assert cat[0].attributes == {"pattern": "dots", "design_id": "12"}
    assert cat[1].attributes == {"sleeve": "long", "sale": "true"}
    assert cat.attribute_names == ["pattern", "design_id", "sleeve", "sale"]
    assert cat.attribute_values("sleeve") == [None, "long"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"product_id": "p", "path": "a.png"}\n{oops\n', r"m.jsonl:2: not valid JSON"),
        ('["p", "a.png"]\n', r"m.jsonl:1: a JSON list, expected an object"),
        ('{"product_id": "p"}\n', r"m.jsonl:1: missing field 'path'"),
        ('{"product_id": "p", "path": "a.png", "tags": ["x"]}\n', r"m.jsonl:1: field 'tags' is a JSON list"),
    ],
)
def test_jsonl_manifest_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(CatalogError, match=match):
        Catalog.open(_write(tmp_path / "m.jsonl", text))


def test_not_a_catalogue(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such folder or manifest"):
        Catalog.open(tmp_path / "missing")
    with pytest.raises(CatalogError, match=r"manifest ending in .csv or .jsonl"):
        Catalog.open(_write(tmp_path / "list.txt", "a"))


# ------------------------------------------------------------------ laziness
def test_open_never_reads_a_photo(tmp_path: Path, monkeypatch) -> None:
    root = _folder_catalogue(tmp_path / "cat", {f"p{i}": 3 for i in range(20)})
    manifest = _write(tmp_path / "m.csv", "product_id,path\n" + "".join(f"p{i},cat/p{i}/00.png\n" for i in range(20)))

    def forbidden(*args, **kwargs):
        raise AssertionError("an image was opened while indexing")

    monkeypatch.setattr(catalog_module, "read_image", forbidden)
    monkeypatch.setattr("PIL.Image.open", forbidden)
    assert len(Catalog.open(root)) == 20
    assert len(Catalog.open(manifest)) == 20
    with pytest.raises(AssertionError, match="opened"):
        Catalog.open(root).load_images(0, [0])  # the spy really is on the read path


def test_open_does_not_stat_or_open_photo_files(tmp_path: Path, monkeypatch) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 2, "b": 2})
    opened: list[str] = []
    real_open = open

    def spying_open(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spying_open)
    Catalog.open(root)
    assert not [f for f in opened if f.endswith(".png")]


# ------------------------------------------------------------------ reading photos
def test_load_images_skips_and_counts_unreadable_files(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "cat"
    _photo(root / "p" / "0_good.png", (0, 200, 0))
    (root / "p" / "1_empty.jpg").write_bytes(b"")
    (root / "p" / "2_text.jpg").write_text("not an image")
    _photo(root / "p" / "3_good.png", (0, 0, 200))
    cat = Catalog.open(root)

    with pytest.warns(CatalogWarning, match=r"skipping unreadable photo: .*1_empty.jpg: empty file"):
        images = cat.load_images(cat[0], [1, 2, 0, 3])
    assert [tuple(im[0, 0]) for im in images] == [(0, 200, 0), (0, 0, 200)]
    assert cat.read_failures == 2
    assert [Path(p).name for p in cat.failed_paths] == ["1_empty.jpg", "2_text.jpg"]
    assert "2 unreadable photo(s) skipped" in cat.failure_summary()

    calls: list[str] = []
    real_read = catalog_module.read_image
    monkeypatch.setattr(catalog_module, "read_image", lambda p, **k: calls.append(Path(p).name) or real_read(p, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning
        read = cat.read_photos(0, [1, 2, 3, 0], limit=1)
    assert calls == ["3_good.png"]  # known-bad files are not retried
    assert read.indices == [3] and [p.name for p in read.unreadable] == ["1_empty.jpg", "2_text.jpg"]
    assert cat.read_failures == 2


def test_product_with_no_readable_photo(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    (root / "bad").mkdir(parents=True)
    (root / "bad" / "a.jpg").write_bytes(b"")
    (root / "bad" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    cat = Catalog.open(root)
    with pytest.warns(CatalogWarning), pytest.raises(NoReadablePhotos, match=r"product 'bad': none of its 2") as info:
        cat.load_images(cat[0], [0, 1])
    assert info.value.product_id == "bad" and isinstance(info.value, CatalogError)


def test_load_images_uses_the_catalogue_size_limits(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    _photo(root / "p" / "big.png", size=300)
    assert Catalog.open(root, max_side=100).load_images(0, [0])[0].shape == (100, 100, 3)
    assert Catalog.open(root).load_images(0, [0])[0].shape == (300, 300, 3)


# ------------------------------------------------------------------ views of a catalogue
def test_subset_and_attribute_errors(tmp_path: Path) -> None:
    root = _folder_catalogue(tmp_path / "cat", {"a": 1, "b": 1, "c": 1})
    _write(root / "attributes.csv", "product_id,pattern\na,x\nb,y\nc,z\n")
    cat = Catalog.open(root)
    part = cat.subset([2, 0])
    assert part.product_ids == ["c", "a"] and part.attribute_values("pattern") == ["z", "x"]
    with pytest.raises(IndexError):
        cat.subset([3])
    with pytest.raises(CatalogError, match=r"no attribute 'colour'; attributes: pattern"):
        cat.attribute_values("colour")


def test_from_products(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "a.png", (1, 2, 3))
    cat = Catalog.from_products([Product("x", (photo,), {"pattern": "solid"}), Product("y", (photo, photo))])
    assert cat.attribute_values("pattern") == ["solid", None]
    assert tuple(cat.load_images(cat[1], [1])[0][0, 0]) == (1, 2, 3)
    with pytest.raises(CatalogError, match="duplicate product_id 'x'"):
        Catalog.from_products([Product("x", (photo,)), Product("x", (photo,))])


def test_numpy_indices_work(tmp_path: Path) -> None:
    cat = Catalog.open(_folder_catalogue(tmp_path / "cat", {"a": 3}))
    assert len(cat.load_images(np.int64(0), np.array([2, 0]))) == 2
