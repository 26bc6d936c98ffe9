"""`skill compare` on a tiny preset and catalogue (train, reuse, budget check, figures) and `skill search`."""

import json
import shutil

import cv2
import numpy as np
import pytest
import torch
import typer
import yaml
from typer.testing import CliRunner

from skill_aug import load_policy, policy_for_task
from skill_aug.catalog import Catalog
from skill_aug.images import grey_rgb, read_image
from skill_aug.synth import write_catalog
from skill_aug.views_version import VIEWS_VERSION
from skill_train.cli import eval as cli_eval
from skill_train.compare.runs import compare
from skill_train.eval.embed import embed_run
from skill_train.eval.errors import EvaluationError
from skill_train.compare.rows import RowSpec, low_colour_space, select, standard_rows
from skill_train.eval.search import index_path, search, top_k
from skill_train.run.folder import RunDir, RunFolderError
from skill_train.train.data import resolve_policies
from skill_train.train.loop import train

TINY = {
    "method": "dino", "arch": "vit_tiny_patch16_224",
    "arch_overrides": {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
    "high_res_size": 32, "low_res_size": 16, "n_local": 2, "out_dim": 64, "head_hidden_dim": 64,
    "head_bottleneck_dim": 32, "epochs": 1, "batch_size": 8, "base_lr": 0.002, "warmup_epochs": 0,
    "momentum_teacher": 0.99, "precision": "fp32", "workers": 0, "threads": 1,
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("cmp")
    write_catalog("dress", products=40, out=root / "data", seed=1, size=64)
    preset = root / "tiny.yaml"
    preset.write_text(yaml.safe_dump(TINY))
    rows = [RowSpec("random-init", "random init", method=None), RowSpec("skill", "SkiLL")]
    report = compare("dress", root / "out", data=str(root / "data"), preset=str(preset), rows=rows,
                     attributes=("pattern",), device="cpu", log=lambda _: None)
    return root, preset, rows, report


def test_compare_trains_evaluates_and_writes_the_report(setup):
    root, _, _, report = setup
    out = root / "out"
    assert [r["label"] for r in report["rows"]] == ["random init", "SkiLL"]
    assert [r["action"] for r in report["rows"]] == ["initialised", "trained"]
    for row in report["rows"]:
        assert {"accuracy", "r@90", "r@95"} <= set(row["eval"]["attributes"]["pattern"]["linear"])
        assert row["eval"]["color_entropy"]["color_source"] == "attribute 'color'"
    assert report["budget"]["epochs"] == 1 and report["budget"]["arch_overrides"]["embed_dim"] == 32
    saved = json.loads((out / "comparison.json").read_text())
    assert saved["rows"][1]["train"]["status"] == "finished"
    assert "| SkiLL |" in (out / "comparison.md").read_text()
    bars = cv2.imread(str(out / "color_entropy.png"))
    assert bars is not None and bars.shape[1] >= 640
    assert cv2.imread(str(out / "map.png")).shape[0] > 2 * 320  # one row of panels per method
    # the untrained row is the trained row's starting point: same architecture, same seed
    assert yaml.safe_load((out / "random-init" / "config.yaml").read_text())["arch_overrides"]["embed_dim"] == 32
    # and its summary is a run's summary (the same keys but DINO's own figures), with no steps taken
    untrained = json.loads((out / "random-init" / "summary.json").read_text())
    trained = json.loads((out / "skill" / "summary.json").read_text())
    assert set(untrained) == set(trained) - {"uniform_loss", "final_teacher_entropy", "final_kl"}
    assert (untrained["status"], untrained["steps"], untrained["method"]) == ("finished", 0, None)


def test_compare_reuses_finished_runs_and_checks_the_budget(setup):
    root, preset, rows, _ = setup
    mtime = (root / "out" / "skill" / "backbone.safetensors").stat().st_mtime
    # a run made before a config field existed (the field at its default) still counts as the same budget
    saved = root / "out" / "skill" / "config.yaml"
    older = yaml.safe_load(saved.read_text())
    assert older.pop("clip_grad") == 3.0
    saved.write_text(yaml.safe_dump(older))
    again = compare("dress", root / "out", data=str(root / "data"), preset=str(preset), rows=rows,
                    attributes=("pattern",), device="cpu", log=lambda _: None)
    assert [r["action"] for r in again["rows"]] == ["reused", "reused"]
    assert (root / "out" / "skill" / "backbone.safetensors").stat().st_mtime == mtime
    with pytest.raises(EvaluationError, match="epochs = 1, this comparison asks for 2"):
        compare("dress", root / "out", data=str(root / "data"), preset=str(preset), epochs=2, rows=rows[1:],
                attributes=("pattern",), device="cpu", log=lambda _: None)


def test_a_run_is_reused_for_the_same_policy_from_another_file_only(setup, tmp_path):
    root, preset, _, _ = setup
    same = tmp_path / "dress-copy.yaml"  # the task's own policy under another name, as skill ablate writes them
    same.write_text("extends: dress\nname: dress-copy\ndescription: another file\n")
    again = compare("dress", root / "out", data=str(root / "data"), preset=str(preset),
                    rows=[RowSpec("skill", "SkiLL", str(same))], attributes=("pattern",), device="cpu",
                    log=lambda _: None)
    assert [r["action"] for r in again["rows"]] == ["reused"]
    other = tmp_path / "dress-no-flip.yaml"  # one parameter changed: not the run's policy
    other.write_text("extends: dress\nglobal_space:\n  high_res:\n    ops:\n    - HorizontalFlip: {p: 0.2}\n")
    with pytest.raises(EvaluationError, match=r"skill was trained with policy = None, this comparison asks for '.*dress-no-flip"):
        compare("dress", root / "out", data=str(root / "data"), preset=str(preset),
                rows=[RowSpec("skill", "SkiLL", str(other))], attributes=("pattern",), device="cpu",
                log=lambda _: None)


def _legacy_copy(setup, tmp_path, policy=None):
    """The trained SkiLL run copied to ``tmp_path/out/skill`` as a run from before views were versioned,
    its config naming ``policy`` (a file) when given."""
    root, _, _, _ = setup
    run = tmp_path / "out" / "skill"
    shutil.copytree(root / "out" / "skill", run)
    summary = json.loads((run / "summary.json").read_text())
    assert summary.pop("views_version") == VIEWS_VERSION
    (run / "summary.json").write_text(json.dumps(summary))
    if policy is not None:
        config = yaml.safe_load((run / "config.yaml").read_text())
        config["policy"] = str(policy)
        (run / "config.yaml").write_text(yaml.safe_dump(config))
        RunDir(run).write_policy(resolve_policies(RunDir(run).load_config()))  # as training records it
    return run


def test_a_run_is_not_reused_when_its_views_have_changed_since(setup, tmp_path):
    root, preset, _, _ = setup
    kwargs = dict(data=str(root / "data"), preset=str(preset), attributes=("pattern",), device="cpu",
                  log=lambda _: None)
    close_ups = tmp_path / "dress-close-ups.yaml"  # a zooming op: the source size changed its views
    close_ups.write_text("extends: dress\nname: dress-close-ups\nlocal_set:\n- RegionCrop: {p: 0.5}\n")
    run = _legacy_copy(setup, tmp_path, close_ups)
    with pytest.raises(RunFolderError, match=r"trained before a change of the views \(2026-12-04: close-ups cut "
                                             r"from H\(x\) at the source size.*policy dress-close-ups; use another --out"):
        compare("dress", tmp_path / "out", rows=[RowSpec("skill", "SkiLL", str(close_ups))], **kwargs)
    assert not (tmp_path / "out" / "comparison.json").exists()
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "views_version": VIEWS_VERSION}))
    again = compare("dress", tmp_path / "out", rows=[RowSpec("skill", "SkiLL", str(close_ups))], **kwargs)
    assert [r["action"] for r in again["rows"]] == ["reused"]
    # a run from a newer release draws views this code does not know: refused whatever its policy
    (run / "summary.json").write_text(json.dumps({**summary, "views_version": VIEWS_VERSION + 1}))
    with pytest.raises(RunFolderError, match=rf"trained by a newer skill-aug \(views version {VIEWS_VERSION + 1}; "
                                             rf"this one draws version {VIEWS_VERSION}\); upgrade skill-aug, or use"):
        compare("dress", tmp_path / "out", rows=[RowSpec("skill", "SkiLL", str(close_ups))], **kwargs)


def test_a_run_whose_policy_file_no_longer_loads_is_checked_with_the_configured_policy(setup, tmp_path):
    root, preset, _, _ = setup
    close_ups = tmp_path / "dress-close-ups.yaml"
    close_ups.write_text("extends: dress\nname: dress-close-ups\nlocal_set:\n- RegionCrop: {p: 0.5}\n")
    run = _legacy_copy(setup, tmp_path, close_ups)
    (run / "policy.yaml").write_text("local_set:\n- OpNoLongerInstalled: {p: 1.0}\n")
    with pytest.raises(RunFolderError, match=r"trained before a change of the views .*policy dress-close-ups"):
        compare("dress", tmp_path / "out", data=str(root / "data"), preset=str(preset),
                rows=[RowSpec("skill", "SkiLL", str(close_ups))], attributes=("pattern",), device="cpu",
                log=lambda _: None)


def test_a_run_whose_views_are_unchanged_is_reused_whatever_its_version(setup, tmp_path):
    root, preset, _, _ = setup
    _legacy_copy(setup, tmp_path)  # dress has no zooming op: version 1 drew what version 2 draws
    again = compare("dress", tmp_path / "out", data=str(root / "data"), preset=str(preset),
                    rows=[RowSpec("skill", "SkiLL")], attributes=("pattern",), device="cpu", log=lambda _: None)
    assert [r["action"] for r in again["rows"]] == ["reused"]


def test_resuming_a_run_whose_views_have_changed_is_refused_before_anything_is_written(setup, tmp_path):
    close_ups = tmp_path / "dress-close-ups.yaml"
    close_ups.write_text("extends: dress\nname: dress-close-ups\nlocal_set:\n- RegionCrop: {p: 0.5}\n")
    run = _legacy_copy(setup, tmp_path, close_ups)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    cfg = RunDir(run).load_config().replace(out=str(run), resume=True, epochs=2)
    with pytest.raises(RunFolderError, match=r"trained before a change of the views .*policy dress-close-ups; "
                                             r"start a new run with another --out"):
        train(cfg)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_grey_input_shows_the_backbone_the_grey_photo_and_is_cached_apart(setup, tmp_path):
    root, preset, rows, _ = setup
    run = root / "out" / "skill"
    grey_data = tmp_path / "grey"
    shutil.copytree(root / "data", grey_data)
    for path in grey_data.rglob("*.png"):  # the same catalogue, every photo turned grey on disk
        cv2.imwrite(str(path), grey_rgb(read_image(path)))
    colour = embed_run(run, Catalog.open(root / "data"), preprocess=False, device="cpu", show_progress=False)
    grey = embed_run(run, Catalog.open(root / "data"), preprocess=False, device="cpu", show_progress=False,
                     input="grey")
    on_disk = embed_run(run, Catalog.open(grey_data), preprocess=False, device="cpu", show_progress=False)
    assert np.allclose(grey.embedding, on_disk.embedding, atol=1e-5)
    assert np.abs(grey.embedding - colour.embedding).max() > 1e-2
    assert (grey.meta["input"], colour.meta["input"]) == ("grey", "colour")
    # compare --input grey: nothing trained, the colour evaluation left as it was, the grey one beside it
    colour_eval = (run / "eval.json").read_text()
    report = compare("dress", root / "out", data=str(root / "data"), preset=str(preset), rows=rows,
                     attributes=("pattern",), device="cpu", log=lambda _: None, input="grey")
    assert [r["action"] for r in report["rows"]] == ["reused", "reused"] and report["input"] == "grey"
    assert (run / "eval.json").read_text() == colour_eval
    assert json.loads((run / "eval-grey.json").read_text()) == report["rows"][1]["eval"]
    assert "embedded its held-out photos grey" in (root / "out" / "comparison.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["embed", "--input", "gray"], "--input gray: not valid (expected colour or grey)"),
    (["eval", "--embeddings", "E.npz", "--input", "grey"], "--input grey: chooses what --checkpoint's backbone is shown"),
])
def test_bad_input_is_one_line(setup, tmp_path, args, message):
    root, _, _, _ = setup
    app = typer.Typer()
    cli_eval.register(app)
    if args[0] == "embed":
        args = args + ["--checkpoint", str(root / "out" / "skill"), "--out", str(tmp_path / "e.npz")]
    else:
        embed_run(root / "out" / "skill", Catalog.open(root / "data"), device="cpu", show_progress=False).save(tmp_path / "E.npz")
        args = [str(tmp_path / a) if a == "E.npz" else a for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and isinstance(result.exception, EvaluationError)
    assert message in str(result.exception)
    assert not (tmp_path / "e.npz").exists()


def test_search_finds_the_query_product_first_and_folds_designs(setup, tmp_path):
    root, _, _, _ = setup
    catalog = Catalog.open(root / "data")
    product = catalog[7]
    run = root / "out" / "skill"
    hits = search(run, catalog, product.paths[0], k=5, per="product", device="cpu")
    assert hits[0].product_id == product.product_id and hits[0].score > 0.99
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    designs = search(run, catalog, product.paths[0], k=5, per="design", device="cpu")
    assert len({h.design_id for h in designs}) == 5
    app = typer.Typer()
    cli_eval.register(app)
    result = CliRunner().invoke(app, ["search", "--checkpoint", str(run), "--data", str(root / "data"), "--query",
                                      str(product.paths[0]), "--k", "3", "--png", str(tmp_path / "s.png"),
                                      "--device", "cpu", "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(tmp_path / "s.png")).shape[1] > 4 * 128  # query + 3 hits
    assert len(json.loads((tmp_path / "s.json").read_text())["hits"]) == 3
    # --input grey: the query and a second, grey index; the colour index stays as it was
    colour_index = index_path(run, catalog)
    colour_bytes = colour_index.read_bytes()
    grey = search(run, catalog, product.paths[0], k=5, per="product", device="cpu", input="grey")
    assert index_path(run, catalog, "grey").is_file() and index_path(run, catalog, "grey") != colour_index
    assert colour_index.read_bytes() == colour_bytes
    assert grey[0].product_id == product.product_id and grey[0].score > 0.99
    assert [h.score for h in grey] != [h.score for h in hits]


def test_top_k_is_exact():
    rng = np.random.default_rng(0)
    index = rng.normal(size=(1000, 8)).astype(np.float32)
    index /= np.linalg.norm(index, axis=1, keepdims=True)
    order, scores = top_k(index, index[123], 4, chunk=100)
    assert order[0] == 123 and np.allclose(scores, np.sort(index @ index[123])[::-1][:4])


def test_standard_rows_and_variants(tmp_path):
    rows = standard_rows("shirt", tmp_path)
    assert [r.name for r in rows if r.method in (None, "dino")] == [
        "random-init", "dino", "skill", "skill-no-local", "skill-no-preprocess", "skill-low-colour"]
    by = {r.name: r for r in rows}
    from skill_train.methods import method_names

    for name in ("byol", "simclr"):  # the paper's CNN baselines, when a plugin registers them
        assert (name in by) == (name in method_names())
        if name in by:
            assert by[name].method == name and by[name].policy == by["dino"].policy
    assert load_policy(by["skill-no-local"].policy).spec.local_set == ()
    assert load_policy(by["skill-no-preprocess"].policy).spec.preprocess == ()
    assert load_policy(by["dino"].policy).spec.name == "dino"
    low = low_colour_space(policy_for_task("shirt").spec.global_space)
    probs = {o.name: o.params["p"] for o in low.high_res.ops}
    assert probs["ToGray"] == probs["ColorJitter"] == probs["GaussianBlur"] == 0.1
    assert probs["HorizontalFlip"] == 0.5
    assert [r.name for r in select(rows, ["skill", "dino"])] == ["skill", "dino"]
    with pytest.raises(EvaluationError, match="not a row"):
        select(rows, ["mae"])


@pytest.mark.parametrize("flag", ["--row", "--method"])  # --method: the old spelling, still read
def test_compare_rows_are_picked_by_name_on_the_command_line(flag, tmp_path):
    app = typer.Typer()
    cli_eval.register(app)
    result = CliRunner().invoke(app, ["compare", "--task", "shirt", "--out", str(tmp_path), flag, "mae",
                                      "--budget", "cpu"])
    assert result.exit_code != 0 and isinstance(result.exception, EvaluationError)
    assert "--row 'mae' is not a row of this comparison" in str(result.exception)
    assert not (tmp_path / "skill").exists()  # nothing was trained
