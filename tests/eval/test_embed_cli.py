"""`skill embed` / `skill eval --checkpoint` on a tiny exported backbone and the on-disk catalogue."""

import json

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from skill_aug import policy_for_task
from skill_aug.catalog import Catalog
from skill_aug.errors import SkillAugError
from skill_train.cli import eval as cli_eval
from skill_train.run.export import export_backbone
from skill_train.eval.embed import embed_run, load_run
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.transform import photo_tensor
from skill_train.models.backbone import backbone_config, create_backbone


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, catalogue):
    """A run folder holding only what evaluation reads: the exported backbone and a policy."""
    run = tmp_path_factory.mktemp("run")
    config = backbone_config("vit_tiny_patch16_224", 32, {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2})
    torch.manual_seed(0)
    export_backbone(create_backbone(config), config, run)
    (run / "config.yaml").write_text(f"eval_holdout: 0.34\nseed: 1\ndata: {catalogue}\n")
    return run


@pytest.fixture()
def app():
    app = typer.Typer()
    cli_eval.register(app)
    return app


def test_embed_matches_a_direct_forward_pass(run_dir, catalogue):
    torch.set_num_threads(1)
    catalog = Catalog.open(catalogue)
    table = embed_run(run_dir, catalog, device="cpu", batch_size=16, show_progress=False)
    assert len(table) == 72 and table.dim == 32
    assert table.meta["size"] == 32 and table.meta["preprocess"] is False
    model = load_run(run_dir).model
    product = catalog[5]
    with torch.no_grad():
        direct = model(photo_tensor(catalog.load_images(product, [1])[0], 32)[None]).numpy()[0]
    row = np.flatnonzero((table.product_id == product.product_id) & np.char.endswith(table.path, "01.png"))
    assert np.allclose(table.embedding[row[0]], direct, atol=1e-5)
    means = embed_run(run_dir, catalog, per_product="mean", device="cpu", show_progress=False)
    assert len(means) == 36


def test_embed_applies_the_run_policy_preprocessing(run_dir, catalogue, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "policy.yaml").write_text(policy_for_task("dress").to_yaml())
    loaded = load_run(run)
    assert loaded.preprocess is not None and loaded.policy_name == "dress"
    catalog = Catalog.open(catalogue)
    with_h = embed_run(run, catalog, device="cpu", show_progress=False)
    without = embed_run(run, catalog, preprocess=False, device="cpu", show_progress=False)
    assert with_h.meta["preprocess"] and not without.meta["preprocess"]
    assert not np.allclose(with_h.embedding, without.embedding)  # the crop to the product changes the input


def test_cli_embed_then_eval_from_file(app, run_dir, catalogue, tmp_path):
    runner = CliRunner()
    out = tmp_path / "e.npz"
    result = runner.invoke(app, ["embed", "--checkpoint", str(run_dir), "--data", str(catalogue), "--out", str(out),
                                 "--per-product", "mean", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert len(EmbeddingTable.load(out)) == 36
    report = tmp_path / "r.json"
    # no --data: the file remembers its catalogue
    result = runner.invoke(app, ["eval", "--embeddings", str(out), "--attribute", "pattern", "--probe", "linear",
                                 "--test-fraction", "0.34", "--json", str(report)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Linear R@90" in result.output and "Colour entropy" in result.output
    data = json.loads(report.read_text())
    assert set(data["attributes"]["pattern"]["linear"]) >= {"accuracy", "r@90", "r@95"}
    assert data["source"]["data"] == str(catalogue)
    assert data["split"]["train_rows"] + data["split"]["test_rows"] == 36
    # the k-NN's mistakes, most frequent first, one line per attribute
    confusions = data["attributes"]["pattern"]["knn"]["confusions"]
    assert ("pattern, most confused by k-NN" in result.output) == bool(confusions)
    if confusions:
        first = confusions[0]
        assert f"{first['true']} → {first['predicted']} {first['count']} (" in result.output


def test_cli_eval_checkpoint_uses_the_run_split(app, run_dir, catalogue, tmp_path):
    report = tmp_path / "r.json"
    # no --data: the run's config names its catalogue
    result = CliRunner().invoke(app, ["eval", "--checkpoint", str(run_dir), "--attribute",
                                      "sleeve", "--probe", "linear", "--device", "cpu", "--json", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["split"]["test_fraction"] == 0.34 and data["split"]["seed"] == 1
    assert data["rows"] == 72
    assert 0.0 <= data["attributes"]["sleeve"]["knn"]["accuracy"] <= 1.0


def test_cli_errors_are_one_line_skill_errors(app, catalogue, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "--data", str(catalogue)])
    assert isinstance(result.exception, SkillAugError) and "exactly one of" in str(result.exception)
    result = runner.invoke(app, ["eval", "--embeddings", str(tmp_path / "none.npz"), "--data", str(catalogue)])
    assert isinstance(result.exception, SkillAugError) and "no such embeddings file" in str(result.exception)
    result = runner.invoke(app, ["embed", "--checkpoint", str(tmp_path), "--data", str(catalogue), "--out", "x.npz"])
    assert isinstance(result.exception, SkillAugError) and "model_config.json" in str(result.exception)
