"""The prepared catalogue: H(x) stored once at the source size, read by training, never stale."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import skill_aug
from skill_aug.catalog import Catalog
from skill_aug.errors import SkillAugError
from skill_aug.prepared import PREPARED_FOLDER, PreparedStore, find_stores, prepare, read_prepared
from skill_aug.synth import write_catalog
from skill_train.train.dataset import ProductDataset


@pytest.fixture(scope="module")
def curtains_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prepared") / "curtains"
    write_catalog("curtains", products=6, out=root, seed=0, size=256, photos_min=2, photos_max=3)
    return root


@pytest.fixture(scope="module")
def policy():
    # the CPU preset's views: working size 166 px; RegionCrop's zoom (1 / 0.3, at most 2) keeps H(x) at up to 332 px
    return skill_aug.policy_for_task("curtains").with_view_sizes(64, 32)


def fresh_copy(root: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "catalogue"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(PREPARED_FOLDER))
    return copy


def test_the_store_holds_h_of_every_photo_at_the_source_size(curtains_root, policy, tmp_path):
    root = fresh_copy(curtains_root, tmp_path)
    catalog = Catalog.open(root)
    result = prepare(catalog, policy)
    assert result["photos"] == catalog.n_photos and result["unreadable"] == 0 and result["source_size"] == 332
    store = PreparedStore.find(catalog, policy)
    assert store is not None and len(store) == catalog.n_photos
    for index, product in enumerate(catalog):
        for number, path in enumerate(product.paths):
            expected = policy.preprocess(catalog.read_photos(index, [number], decode_size=332).images[0])
            stored = read_prepared(store.photo(path))
            assert stored.shape == expected.shape and min(stored.shape[:2]) <= 332
            assert np.abs(stored.astype(int) - expected).mean() < 2.5  # JPEG at quality 95 on fine texture


def test_another_policy_or_size_never_reads_the_store(curtains_root, policy, tmp_path):
    root = fresh_copy(curtains_root, tmp_path)
    catalog = Catalog.open(root)
    prepare(catalog, policy)
    assert PreparedStore.find(catalog, skill_aug.policy_for_task("curtains")) is None  # 496 px, not 166
    assert PreparedStore.find(catalog, skill_aug.load_policy(
        Path(__file__).resolve().parents[2] / "policies" / "dino.yaml").with_view_sizes(64, 32)) is None  # no H


def test_a_changed_photo_is_read_from_its_source(curtains_root, policy, tmp_path):
    root = fresh_copy(curtains_root, tmp_path)
    catalog = Catalog.open(root)
    prepare(catalog, policy)
    changed = catalog[0].paths[0]
    image = cv2.imread(str(changed))
    cv2.imwrite(str(changed), 255 - image)
    store = PreparedStore.find(catalog, policy)
    assert store.photo(changed) is None
    assert store.photo(catalog[0].paths[1]) is not None
    assert store.stale(p for product in catalog for p in product.paths) == 1


def test_random_preprocessing_cannot_be_prepared_and_nothing_is_written(curtains_root, tmp_path):
    root = fresh_copy(curtains_root, tmp_path)
    policy_file = tmp_path / "flips.yaml"
    policy_file.write_text("preprocess:\n- HorizontalFlip: {p: 1.0}\n")
    flipping = skill_aug.load_policy(policy_file)
    with pytest.raises(SkillAugError, match="HorizontalFlip may draw random parameters"):
        prepare(Catalog.open(root), flipping)
    assert not (root / PREPARED_FOLDER).exists()


def test_preparing_again_replaces_the_store_whole(curtains_root, policy, tmp_path):
    root = fresh_copy(curtains_root, tmp_path)
    catalog = Catalog.open(root)
    first = prepare(catalog, policy)
    second = prepare(catalog, policy)
    assert first["folder"] == second["folder"]
    assert sorted(p.name for p in (root / PREPARED_FOLDER).iterdir()) == [first["key"]]  # no temporary left
    manifest = json.loads((Path(second["folder"]) / "manifest.json").read_text())
    assert len(manifest["photos"]) == catalog.n_photos


def test_training_items_from_the_store_match_items_from_the_photos(curtains_root, policy, tmp_path):
    root = fresh_copy(curtains_root, tmp_path)
    catalog = Catalog.open(root)
    prepare(catalog, policy)
    store = PreparedStore.find(catalog, policy)
    plain = ProductDataset(catalog, policy, seed=3)
    stored = ProductDataset(catalog, policy, seed=3, prepared=find_stores(catalog, [policy]))
    other_seed = ProductDataset(catalog, policy, seed=4, prepared={store.key: store})
    for index in range(len(catalog)):
        a, b, c = plain[index], stored[index], other_seed[index]
        for x, y, z in zip(a["global"] + a["local"], b["global"] + b["local"], c["global"] + c["local"]):
            # same crops and draws: only the JPEG round trip of H(x) differs, which the colour ops
            # amplify a little; views with other draws differ many times more
            same, other = torch.mean(torch.abs(x - y)).item(), torch.mean(torch.abs(x - z)).item()
            assert x.shape == y.shape and same < 0.15 and same < other / 3
    # and the store is really what was read: a damaged stored file falls back to the photo
    victim = store.photo(catalog[0].paths[0])
    victim.write_bytes(b"")
    assert stored[0]["global"][0].shape == plain[0]["global"][0].shape


def test_the_cli_prepares_a_catalogue_and_prints_json(curtains_root, tmp_path):
    from typer.testing import CliRunner

    from skill_train.cli import build_app

    root = fresh_copy(curtains_root, tmp_path)
    result = CliRunner().invoke(build_app(), ["data", "prepare", "--data", str(root), "--preset", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["prepared"]
    assert report["policy"] == "curtains" and report["source_size"] == 332  # the category column named the type
    assert report["photos"] == Catalog.open(root).n_photos
    assert Path(report["folder"]).parent == root / PREPARED_FOLDER
    assert os.listdir(Path(report["folder"]))


def test_a_mixed_catalogue_gets_one_store_per_type_holding_only_its_products(tmp_path):
    from typer.testing import CliRunner

    from skill_train.cli import build_app
    from skill_train.run.config import TrainConfig
    from skill_train.train.data import resolve_policies

    root = tmp_path / "mixed"
    write_catalog("shirt,curtains", products=6, out=root, seed=0, size=128, photos_min=2, photos_max=2)
    result = CliRunner().invoke(build_app(), ["data", "prepare", "--data", str(root), "--preset", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    # both types crop and pad alike and zoom in alike (the same H at the same source size): one store serves both
    (report,) = json.loads(result.stdout)["prepared"]
    assert sorted(report["policy"].split(", ")) == ["curtains", "shirt"] and report["photos"] == 12 and report["products"] == 6
    catalog = Catalog.open(root)
    policies = resolve_policies(TrainConfig.from_preset("cpu", data=str(root)), catalog)
    assert len(find_stores(catalog, policies.policies.values())) == 1
    # a type whose H differs gets a store of its own, holding only its products
    no_h = policies.policies["shirt"].replace(preprocess=())
    prepare(catalog, no_h, products=[i for i, owner in enumerate(policies.products) if owner == "shirt"])
    store = PreparedStore.find(catalog, no_h)
    for index, owner in enumerate(policies.products):
        assert (store.photo(catalog[index].paths[0]) is not None) == (owner == "shirt")
