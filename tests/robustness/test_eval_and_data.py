"""`skill embed`, `skill eval`, `skill search` and `skill data synth`: unreadable photos skipped and
counted, bad options and broken run files one line each, nothing written on a refusal."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import assert_refused, tree_hashes


def test_the_end_of_run_knn_skipped_the_unreadable_photo(finished_run):
    summary = json.loads((finished_run / "summary.json").read_text())
    assert summary["status"] == "stopped at --max-steps 1" and summary["steps"] == 1
    assert summary["knn"]["attributes"]["pattern"]["n_test"] > 0
    assert summary["knn"]["attributes"]["pattern"]["unreadable_photos"] == 1  # skipped and counted


def test_embed_skips_and_counts_unreadable_photos(cli, finished_run, catalogue, tmp_path):
    out = tmp_path / "emb.npz"
    result = cli("skill", "embed", "--checkpoint", finished_run, "--data", catalogue, "--out", out, "--device", "cpu")
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "1 unreadable photo(s) skipped" in " ".join(result.stdout.split())
    with np.load(out) as saved:
        assert len(saved["embedding"]) == 47  # 48 photos, one unreadable


def test_eval_and_search_skip_unreadable_photos(cli, finished_run, catalogue, tmp_path):
    result = cli("skill", "eval", "--checkpoint", finished_run, "--data", catalogue, "--device", "cpu",
                 "--probe", "linear", "--json", tmp_path / "eval.json")
    assert result.code == 0, result.stderr
    assert "1 unreadable photo(s) skipped" in " ".join(result.stdout.split())
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)  # search caches its index in the run folder
    result = cli("skill", "search", "--checkpoint", run, "--data", catalogue, "--query", catalogue / "dots-0-dark" / "00.png",
                 "--k", 3, "--device", "cpu", "--png", tmp_path / "strip.png")
    assert result.code == 0, result.stderr
    assert (tmp_path / "strip.png").is_file()


@pytest.mark.parametrize("flags, said", [
    (["--batch-size", 0], "--batch-size 0"), (["--workers", -1], "--workers -1"),
    (["--per-product", "median"], "--per-product median"),
])
def test_bad_embed_options_are_one_line(cli, finished_run, catalogue, tmp_path, flags, said):
    out = tmp_path / "emb.npz"
    result = cli("skill", "embed", "--checkpoint", finished_run, "--data", catalogue, "--out", out, *flags)
    assert_refused(result, said)
    assert not out.exists()


def test_output_paths_that_cannot_be_files_are_one_line(cli, finished_run, catalogue, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert_refused(cli("skill", "embed", "--checkpoint", finished_run, "--data", catalogue, "--out", folder),
                   f"--out {folder}", "is a folder")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert_refused(cli("skill", "embed", "--checkpoint", finished_run, "--data", catalogue, "--out", blocker / "e.npz"),
                   "is a file, not a folder")
    assert_refused(cli("skill", "eval", "--checkpoint", finished_run, "--data", catalogue, "--json", folder),
                   f"--json {folder}")
    assert blocker.read_text() == "x" and not any(folder.iterdir())


@pytest.mark.parametrize("flags, said", [
    (["--test-fraction", 0], "--test-fraction 0.0"), (["--test-fraction", 1.5], "--test-fraction 1.5"),
    (["--seed", -1], "--seed -1"), (["--entropy-k", 1], "--entropy-k 1"),
])
def test_bad_eval_options_are_one_line(cli, tmp_path, catalogue, flags, said):
    table = tmp_path / "emb.npz"
    _embeddings(table, catalogue)
    assert_refused(cli("skill", "eval", "--embeddings", table, "--data", catalogue, *flags), said)


def _embeddings(path: Path, catalogue: Path, poison: float | None = None) -> None:
    ids = sorted(p.name for p in catalogue.iterdir() if p.is_dir())
    values = np.random.default_rng(0).normal(size=(len(ids), 8)).astype(np.float32)
    if poison is not None:
        values[3, 2] = poison
    np.savez(path, product_id=np.asarray(ids), path=np.asarray(ids), embedding=values)


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_non_finite_embeddings_are_one_line(cli, tmp_path, catalogue, poison):
    table = tmp_path / "emb.npz"
    _embeddings(table, catalogue, poison)
    assert_refused(cli("skill", "eval", "--embeddings", table, "--data", catalogue), str(table), "row 3")


@pytest.mark.parametrize("damage, said", [
    (("model_config.json", b"{not json"), "model_config.json: not readable JSON"),
    (("model_config.json", b'{"model_name": "no_such_model_xyz"}'), "is not a timm model"),
    (("model_config.json", b'["a list"]'), "expected a JSON object"),
    (("backbone.safetensors", b"\x00\x01garbage"), "backbone.safetensors: not a readable safetensors file"),
])
def test_broken_exported_backbones_are_one_line(cli, finished_run, catalogue, tmp_path, damage, said):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    name, content = damage
    (run / name).write_bytes(content)
    before = tree_hashes(run)
    out = tmp_path / "emb.npz"
    assert_refused(cli("skill", "embed", "--checkpoint", run, "--data", catalogue, "--out", out), said)
    assert tree_hashes(run) == before and not out.exists()


def test_a_backbone_of_another_model_is_one_line(cli, finished_run, catalogue, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    config = json.loads((run / "model_config.json").read_text())
    (run / "model_config.json").write_text(json.dumps({**config, "embed_dim": 64}))
    assert_refused(cli("skill", "embed", "--checkpoint", run, "--data", catalogue, "--out", tmp_path / "e.npz"),
                   "does not fit the model")


def test_search_options_are_checked_before_the_index_is_built(cli, finished_run, catalogue, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    for flags, said in ((["--k", 0], "--k 0"), (["--per", "colour"], "--per colour")):
        result = cli("skill", "search", "--checkpoint", run, "--data", catalogue, "--query", catalogue / "dots-0-dark" / "00.png",
                     *flags)
        assert_refused(result, said)
    assert not (run / "search-index").exists()
    result = cli("skill", "search", "--checkpoint", run, "--data", catalogue, "--query", catalogue / "dots-1-dark" / "01.png")
    assert_refused(result, "01.png")  # the unreadable photo as a query: said, not a crash


def test_synth_refuses_an_absurd_request_at_once(cli, tmp_path):
    out = tmp_path / "cat"
    assert_refused(cli("skill", "data", "synth", "--products", 10**12, "--out", out), "products=1000000000000")
    assert not out.exists()


def test_synthetic_catalogue_folders_honour_the_umask(cli, tmp_path):
    out = tmp_path / "cat"
    result = cli("skill", "data", "synth", "--products", 1, "--size", 32, "--photos-min", 1, "--photos-max", 1,
                 "--out", out, "--json")
    assert result.code == 0, result.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask
    photo = next(out.rglob("*.png"))
    assert photo.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("text, said", [
    # H that draws: a prepared store would freeze one draw for every epoch
    ("task: dress\npreprocess:\n  - ForegroundCrop: {p: 1.0}\n  - HorizontalFlip: {p: 0.5}\n",
     "HorizontalFlip applies with p = 0.5"),
    ("task: dress\npreprocess:\n  - RandomRotate90: {p: 1.0}\n", "RandomRotate90 may draw random parameters"),
    ("task: dress\nworking_size: 10\n", "policy.yaml:2: working_size"),
])
def test_prepare_refuses_an_h_that_draws_or_a_bad_working_size_and_writes_nothing(cli, catalogue, tmp_path, text, said):
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    before = sorted(p.name for p in catalogue.iterdir())
    result = cli("skill", "data", "prepare", "--data", catalogue, "--policy", policy)
    # one line: `error: ...`, or FILE:LINE: ... for a policy file's own problem
    assert result.code != 0 and "Traceback" not in result.stderr + result.stdout, result
    assert len(result.error_lines) == 1 and said in result.stderr, result.stderr
    assert sorted(p.name for p in catalogue.iterdir()) == before  # no .skill-prepared/, half-written or not


def test_show_by_category_of_a_plain_policy_is_one_line(cli):
    assert_refused(cli("skill-aug", "show", "--task", "dress", "--category", "dress"), "--category needs a mixed")
