"""`skill train` never loses or mixes a run folder: foreign folders refused, one writer at a time
(an OS lock), resume checks everything before the folder changes, bad values refused up front."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from conftest import assert_refused, fresh_process, train_args, tree_hashes


def test_a_folder_that_is_not_a_run_is_never_written_into(cli, catalogue, workdir, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    for name, text in (("config.yaml", "my: own\n"), ("summary.json", "{}\n"), ("metrics.jsonl", "{}\n")):
        (mine / name).write_text(text)
    before = tree_hashes(mine)
    result = cli("skill", *train_args(catalogue, workdir, "--out", mine, "--max-steps", 1))
    assert_refused(result, f"--out {mine}", "not a skill run folder", "choose another --out", "--resume")
    assert tree_hashes(mine) == before


def test_an_out_that_is_a_file_is_refused(cli, catalogue, workdir, tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me\n")
    assert_refused(cli("skill", *train_args(catalogue, workdir, "--out", target)), f"--out {target}", "is a file")
    assert target.read_text() == "keep me\n"


def test_a_finished_run_needs_resume(cli, catalogue, workdir, finished_run):
    before = tree_hashes(finished_run)
    result = cli("skill", *train_args(catalogue, workdir, "--out", finished_run, "--max-steps", 1))
    assert_refused(result, "already holds a run", f"--resume {finished_run}")
    assert tree_hashes(finished_run) == before


HOLD_LOCK = textwrap.dedent("""
    import fcntl, os, sys, time
    f = open(sys.argv[1], "a+")
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0); f.truncate(); f.write(f"{os.getpid()}\\n"); f.flush()
    print("locked", flush=True)
    time.sleep(120)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_second_process_is_refused_and_a_dead_holder_does_not_block(cli, catalogue, workdir, finished_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run / ".skill-run.lock")], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = tree_hashes(run)
        result = cli("skill", "train", "--resume", run, "--max-steps", 2)
        assert_refused(result, str(run), f"pid {holder.pid}", "in use")
        assert tree_hashes(run) == before
    finally:
        holder.kill()  # a crash: the kernel drops the lock, the pid stays in the file
        holder.wait()
    result = cli("skill", "train", "--resume", run, "--max-steps", 2)
    assert result.code == 0, result.stderr
    assert RunDirSummary(run).steps == 2


class RunDirSummary:
    def __init__(self, run: Path):
        import json

        self.values = json.loads((run / "summary.json").read_text())
        self.steps = self.values["steps"]


def test_a_resume_with_nothing_left_changes_nothing(cli, finished_run):
    before = tree_hashes(finished_run)
    result = cli("skill", "train", "--resume", finished_run, "--max-steps", 1, "--epochs", 5, "--lr", "0.1")
    assert_refused(result, "nothing left to train")
    assert tree_hashes(finished_run) == before  # config.yaml still says the run's own epochs and lr


@pytest.mark.parametrize("change", [
    {"next_step": -5}, {"next_step": 10**9}, {"next_step": "abc"}, {"next_step": None}, {"optimizer": [1, 2]},
    {"rng": []}, {"student": {"nonsense": torch.zeros(1)}},
], ids=["negative-step", "huge-step", "string-step", "no-step", "optimizer-list", "no-rng", "wrong-networks"])
def test_a_damaged_checkpoint_is_one_line_and_nothing_is_truncated(cli, finished_run, tmp_path, change):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state.update(change)
    if change.get("next_step", 0) is None:
        del state["next_step"]
    torch.save(state, run / "checkpoint.pt")
    before = tree_hashes(run)
    assert_refused(cli("skill", "train", "--resume", run, "--max-steps", 3), f"{run / 'checkpoint.pt'}")
    assert tree_hashes(run) == before


def test_a_checkpoint_that_is_not_one_is_one_line(cli, finished_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    (run / "checkpoint.pt").write_bytes(b"\x80\x04garbage")
    before = tree_hashes(run)
    assert_refused(cli("skill", "train", "--resume", run, "--max-steps", 3), "cannot read checkpoint")
    assert tree_hashes(run) == before


@pytest.mark.parametrize("flags, said", [
    (["--lr", "inf"], "--lr inf"), (["--lr", "nan"], "--lr nan"), (["--lr", "-1"], "--lr -1"),
    (["--seed", "-1"], "--seed -1"), (["--epochs", "0"], "--epochs 0"), (["--batch-size", "1"], "--batch-size 1"),
    (["--max-steps", "0"], "--max-steps 0"), (["--workers", "-2"], "--workers -2"),
    (["--arch", "no_such_model_xyz"], "not a timm model"), (["--device", "tpu"], "--device tpu"),
])
def test_bad_flags_are_refused_before_any_work(cli, catalogue, workdir, tmp_path, flags, said):
    out = tmp_path / "run"
    assert_refused(cli("skill", *train_args(catalogue, workdir, "--out", out, *flags)), said)
    assert not out.exists()


@pytest.mark.parametrize("change, said", [
    ({"weight_decay": float("nan")}, "weight_decay = nan"), ({"threads": -1}, "threads = -1"),
    ({"drop_path_rate": 2.0}, "drop_path_rate = 2.0"), ({"warmup_epochs": -1}, "warmup_epochs = -1"),
    ({"min_lr": -1.0}, "min_lr = -1.0"), ({"weight_decay": -0.1}, "weight_decay = -0.1"),
    ({"arch_overrides": {"depth": -1}}, "arch_overrides.depth = -1"),
    ({"arch_overrides": {"no_such_argument": 3}}, "'no_such_argument' is not an argument"),
    ({"arch_overrides": {"embed_dim": 200000, "num_heads": 2}}, "parameters (at most"),
    ({"method_options": {"out_dim": 1_000_000_000}}, "out_dim = 1000000000"),
    ({"method_options": {"koleo_weight": float("inf")}}, "koleo_weight = inf"),
    ({"method": "simclr", "method_options": {"proj_dim": 10**9}}, "proj_dim = 1000000000"),
    ({"method": "byol", "method_options": {"pred_hidden_dim": 10**9}}, "pred_hidden_dim = 1000000000"),
    ({"high_res_size": 100000}, "high_res_size = 100000"),
], ids=lambda v: str(v)[:40])
def test_bad_preset_values_are_refused_before_any_work(cli, catalogue, workdir, tmp_path, change, said):
    values = yaml.safe_load((workdir / "tiny.yaml").read_text())
    if "method" in change:  # another method: none of DINO's options apply
        values["method_options"] = {}
    for key, value in change.items():
        if isinstance(value, dict):
            values[key] = {**values.get(key, {}), **value}
        else:
            values[key] = value
    preset = tmp_path / "bad.yaml"
    preset.write_text(yaml.safe_dump(values))
    out = tmp_path / "run"
    args = ["train", "--data", catalogue, "--policy", workdir / "policy.yaml", "--preset", preset, "--out", out]
    assert_refused(cli("skill", *args), str(preset), said)
    assert not out.exists()


def test_a_fresh_process_gives_the_same_one_line(catalogue, workdir, tmp_path):
    """The entry point itself, not only the driver: `python -m skill_train`."""
    out = tmp_path / "run"
    result = fresh_process("skill_train", *train_args(catalogue, workdir, "--out", out, "--lr", "inf"))
    assert_refused(result, "--lr inf")
    assert result.code == 2 and not out.exists()


def test_resuming_a_run_whose_views_changed_since_is_one_line_and_changes_nothing(cli, finished_run, tmp_path):
    import json

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    close_ups = tmp_path / "close-ups.yaml"  # a zooming op: version 2 (the source size) changed its views
    close_ups.write_text("name: close-ups\nglobal_space:\n  base: dino\nlocal_set:\n- RegionCrop: {p: 0.5}\n")
    config = yaml.safe_load((run / "config.yaml").read_text())
    (run / "config.yaml").write_text(yaml.safe_dump({**config, "policy": str(close_ups)}))
    summary = json.loads((run / "summary.json").read_text())
    del summary["views_version"]  # as a run from before versions were recorded
    (run / "summary.json").write_text(json.dumps(summary))
    before = tree_hashes(run)
    assert_refused(cli("skill", "train", "--resume", run, "--max-steps", 2), str(run),
                   "trained before a change of the views (2026-12-04", "policy close-ups",
                   "start a new run with another --out")
    assert tree_hashes(run) == before
    # the run's own G-only policy has no zooming op: the same record resumes
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    result = cli("skill", "train", "--resume", run, "--max-steps", 2)
    assert result.code == 0, result.stderr
    assert json.loads((run / "summary.json").read_text())["views_version"] == 2
