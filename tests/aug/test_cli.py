"""The ``skill-aug`` commands, run through a fresh typer app."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from skill_aug.cli import build_app
from skill_aug.preview import LABEL_HEIGHT, TILE

POLICIES = Path(__file__).resolve().parents[2] / "policies"
runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(build_app(), list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_preview_writes_a_grid_with_one_row_per_sample(tmp_path, photos):
    product = tmp_path / "product"
    product.mkdir()
    for i, photo in enumerate(photos):
        cv2.imwrite(str(product / f"{i}.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    out = tmp_path / "grid.png"
    result = invoke("preview", str(POLICIES / "dress.yaml"), "--image", str(product),
                    "--samples", "3", "--out", str(out), "--seed", "5")
    assert result.output.strip() == str(out)
    grid = cv2.imread(str(out))
    rows, columns = 3, 3 + 2 + 6  # x′, x″, H(x′), G_h views, G_l views
    assert grid.shape[0] > rows * (TILE + LABEL_HEIGHT) and grid.shape[1] > columns * TILE
    assert grid.shape[1] < (columns + 1) * TILE
    again = tmp_path / "again.png"
    invoke("preview", str(POLICIES / "dress.yaml"), "--image", str(product), "--samples", "3",
           "--out", str(again), "--seed", "5")
    assert np.array_equal(grid, cv2.imread(str(again)))


def test_preview_without_images_uses_a_generated_product_of_the_task(tmp_path):
    out = tmp_path / "task.png"
    invoke("preview", "--task", "shoes", "--samples", "1", "--out", str(out))
    assert cv2.imread(str(out)) is not None


def test_show_json_has_every_parameter_and_the_sources():
    doc = json.loads(invoke("show", str(POLICIES / "curtains.yaml"), "--json").output)
    assert doc["policy"]["task"] == "curtains"
    fold = [op for op in doc["policy"]["local_set"] if "FoldShading" in op][0]["FoldShading"]
    assert {"folds_range", "depth_range", "p"} <= set(fold)
    assert doc["sources"]["local_set"].startswith(str(POLICIES / "curtains.yaml"))
    by_task = json.loads(invoke("show", "--task", "curtains", "--json").output)
    assert by_task["sources"]["local_set"].startswith("plugin curtains (skill-aug")
    assert by_task["policy"]["local_set"] == doc["policy"]["local_set"]


def test_show_tree_names_the_parts():
    output = invoke("show", "--task", "dress").output
    assert "local set A_i, drawn per photo" in output and "plugin dress" in output and "G_l: 6 × 96 px" in output
    assert "working size: 496 px shorter side after H" in output


def test_show_reads_a_mixed_runs_policy_record_whole_or_by_category(tmp_path):
    import yaml

    from skill_aug import policy_for_task

    record = {"category_column": "category",
              "categories": {"dress": {"products": 3, "policy": "dress", "local_set_from": "plugin dress"},
                             "tops": {"products": 2, "policy": "shirt", "local_set_from": "plugin shirt"},
                             "rug": {"products": 1, "policy": None, "local_set_from": "none"}},
              "policies": {name: policy_for_task(name).to_document() for name in ("dress", "shirt")}}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    output = invoke("show", str(path)).output
    assert "tops: 2 products, policy shirt, local set from plugin shirt" in output
    assert "dress (task: dress)" in output and "shirt (task: shirt)" in output
    doc = json.loads(invoke("show", str(path), "--category", "tops", "--json").output)
    assert list(doc["categories"]) == ["tops"] and list(doc["policies"]) == ["shirt"]
    assert doc["policies"]["shirt"]["policy"]["local_set"] == policy_for_task("shirt").to_document()["local_set"]
    for args, message in (((str(path), "--category", "lamp"), "records the categories dress, rug, tops"),
                          ((str(path), "--category", "rug"), "left out of training"),
                          ((str(POLICIES / "dress.yaml"), "--category", "dress"), "--category needs a mixed")):
        result = runner.invoke(build_app(), ["show", *args])
        assert result.exit_code != 0 and message in str(result.exception), result.exception


def test_ops_lists_albumentations_and_plugin_ops_with_parameters():
    rows = {row["name"]: row for row in json.loads(invoke("ops", "--json").output)}
    assert rows["ColorJitter"]["source"].startswith("albumentations 2.0.8")
    assert "hue" in rows["ColorJitter"]["params"]
    assert rows["RegionCrop"]["source"] == "plugin core_ops"


def test_plugins_table_lists_first_party_types():
    output = invoke("plugins").output
    assert "dress" in output and "skill-aug" in output


def test_export_writes_loadable_pipelines(tmp_path):
    result = invoke("export", "--task", "dress", "--out", str(tmp_path))
    names = sorted(Path(line).name for line in result.output.split())
    assert names == ["high_res.yaml", "local_set.yaml", "low_res.yaml", "policy.yaml", "preprocess.yaml"]


def test_preview_of_a_catalogue_product_uses_the_policy_its_category_names(tmp_path, monkeypatch):
    from skill_aug.synth import write_catalog

    monkeypatch.chdir(tmp_path)  # the default output file goes to the working folder
    write_catalog("shoes", products=2, out=tmp_path / "cat", size=64, photos_min=2, photos_max=2)
    out = tmp_path / "p.png"
    result = runner.invoke(build_app(), ["preview", "--data", str(tmp_path / "cat"), "--product", "shoes-00001",
                                         "--samples", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(out)) is not None
    named = runner.invoke(build_app(), ["preview", "--data", str(tmp_path / "cat"), "--product", "shoes-00001",
                                        "--samples", "1"], catch_exceptions=False)
    assert named.output.strip() == "preview-shoes-shoes-00001.png"  # the shoes policy, this product
    assert (tmp_path / "preview-shoes-shoes-00001.png").is_file()
    # another type's policy may be asked for explicitly
    assert runner.invoke(build_app(), ["preview", "--data", str(tmp_path / "cat"), "--product", "shoes-00000",
                                       "--task", "dress", "--samples", "1", "--out", str(out)]).exit_code == 0
    for args, message in ((["--product", "shoes-9"], "not in"), ([], "--data and --product go together")):
        bad = runner.invoke(build_app(), ["preview", "--data", str(tmp_path / "cat"), *args])
        assert isinstance(bad.exception, Exception) and message in str(bad.exception)


def test_preview_gives_a_mixed_catalogues_product_the_policy_training_gives_it(tmp_path):
    from skill_aug.catalog import Catalog
    from skill_aug.catalog_policies import catalog_policies, product_policy
    from skill_aug.synth import write_catalog

    root = tmp_path / "cat"
    write_catalog("dress,shoes", products=4, out=root, size=48, photos_min=1, photos_max=1)
    attributes = root / "attributes.csv"
    attributes.write_text(attributes.read_text().replace("shoes-00001,shoes,", "shoes-00001,rug,"))
    catalog = Catalog.open(root)
    trained = catalog_policies(catalog, category_map={"rug": "wall-art"})
    for index in range(len(catalog)):
        assert product_policy(catalog, index, category_map={"rug": "wall-art"}) == trained.for_index(index)
    assert trained.for_index(3).task == "wall-art" and trained.for_index(2).task == "shoes"
    out = tmp_path / "p.png"
    bad = runner.invoke(build_app(), ["preview", "--data", str(root), "--product", "shoes-00001", "--out", str(out)])
    assert "no installed product type for 1 category of 'category': rug (1)" in str(bad.exception)
    for args in (["--category-map", "rug=wall-art"], ["--unknown-category", "global"]):
        result = runner.invoke(build_app(), ["preview", "--data", str(root), "--product", "shoes-00001", "--samples",
                                             "1", "--out", str(out), *args])
        assert result.exit_code == 0, result.output
