"""`skill train`: options → config, presets, --resume alone, --nproc's torchrun command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import typer
import yaml
from rich.console import Console
from typer.testing import CliRunner

from skill_train.cli import train as cli_train
from skill_train.run.config import PRESET_DIR, ConfigError, TrainConfig
from skill_train.run.folder import RunDir
from skill_train.train.distributed import torchrun_command

from test_trainer import catalog, policy_file  # noqa: F401  (module-scoped fixtures)

OPTIONS = dict(task=None, data=None, policy=None, preset=None, epochs=None, batch_size=None, lr=None, workers=None,
               seed=None, out=None, resume=None, max_steps=None, device=None, init=None, method=None, eval_every=None)


def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def main() -> None:
        """test app"""

    cli_train.register(application)
    return application


@pytest.fixture
def tiny_preset(tmp_path) -> Path:
    values = yaml.safe_load((PRESET_DIR / "cpu.yaml").read_text())
    values.update(arch="vit_tiny_patch16_224", arch_overrides={"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
                  high_res_size=32,
                  low_res_size=16, n_local=2, out_dim=32, head_hidden_dim=32, head_bottleneck_dim=16, epochs=2,
                  batch_size=8, workers=0, threads=1, warmup_epochs=1)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def test_cpu_preset_is_chosen_without_a_gpu_and_said_so():
    console = Console(record=True, width=200)
    cfg = cli_train.build_config({**OPTIONS, "task": "curtains", "device": "cpu", "epochs": 3, "lr": 0.001}, console)
    assert cfg.preset == "cpu" and cfg.epochs == 3 and cfg.base_lr == 0.001 and cfg.high_res_size == 64
    assert "CPU preset" in console.export_text()
    paper = cli_train.build_config({**OPTIONS, "task": "curtains", "preset": "paper"}, console)
    assert paper.arch == "vit_small_patch16_224" and paper.options.out_dim == 65536 and paper.high_res_size == 224


def test_preset_errors_name_the_file_and_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: 3\nlearning_rate: 0.1\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: unknown key 'learning_rate'"):
        TrainConfig.from_preset(bad)
    with pytest.raises(ConfigError, match="unknown preset 'gpu'"):
        TrainConfig.from_preset("gpu")
    with pytest.raises(ConfigError, match="batch_size = 'big'"):
        TrainConfig.from_preset("cpu", batch_size="big")
    with pytest.raises(ConfigError, match=r"koleo_weight = -0.1 is not valid \(expected a number >= 0"):
        TrainConfig.from_preset("cpu", koleo_weight=-0.1)


def test_train_then_resume_alone_from_the_command_line(catalog, policy_file, tiny_preset, tmp_path):  # noqa: F811
    run = tmp_path / "run"
    runner = CliRunner()
    args = ["train", "--data", str(catalog), "--policy", str(policy_file), "--preset", str(tiny_preset),
            "--out", str(run), "--max-steps", "2"]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.output
    assert json.loads((run / "summary.json").read_text())["steps"] == 2
    result = runner.invoke(app(), ["train", "--resume", str(run)])
    assert result.exit_code == 0, result.output
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["steps"] == 4
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 4


def test_resume_last_picks_the_newest_run(tmp_path, monkeypatch):
    for name in ("old", "new"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "checkpoint.pt").write_bytes(b"x")
    import os
    os.utime(tmp_path / "runs" / "old" / "checkpoint.pt", (1, 1))
    monkeypatch.chdir(tmp_path)
    assert RunDir.latest().path == Path("runs") / "new"


def test_nproc_builds_a_torchrun_command():
    options = {**OPTIONS, "task": "dress", "epochs": 2, "out": "runs/x", "resume": cli_train.LATEST}
    args = cli_train._torchrun_args(options)
    assert args == ["--task", "dress", "--epochs", "2", "--out", "runs/x", "--resume", "last"]
    cmd = torchrun_command(2, args)
    assert cmd[1:8] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "skill_train"]
    assert cmd[8] == "train"


def test_unknown_method_is_a_clear_error(catalog, policy_file, tiny_preset, tmp_path):  # noqa: F811
    result = CliRunner().invoke(app(), ["train", "--data", str(catalog), "--policy", str(policy_file),
                                        "--preset", str(tiny_preset), "--out", str(tmp_path / "m"), "--method", "swav"])
    assert result.exit_code != 0 and "swav" in str(result.exception)


def test_method_options_live_under_the_method_and_old_flat_keys_still_load(tmp_path):
    cpu = TrainConfig.from_preset("cpu")
    assert "koleo_weight" not in TrainConfig.field_names() and cpu.options.koleo_weight == 0.1
    assert cpu.method_options["centering"] == "sinkhorn" and cpu.options.out_dim == 256
    # a run folder written before DINO's fields moved to its options: flat keys, empty method_options
    old = cpu.to_dict()
    old.update(old.pop("method_options"), method_options={})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(old))
    loaded = RunDir(tmp_path).load_config()
    assert loaded.method_options == cpu.method_options and loaded.to_dict() == cpu.to_dict()
    # another method on a DINO preset does not inherit DINO's options
    simclr = TrainConfig.from_preset("cpu", method="simclr")
    assert set(simclr.method_options) == {"temperature", "proj_hidden_dim", "proj_dim", "gather_negatives"}
    with pytest.raises(ConfigError, match=r"unknown option 'out_dim' for method 'simclr'"):
        TrainConfig.from_preset("cpu", method="simclr", method_options={"out_dim": 8})
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: dino\nmethod_options: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: method_options = 3 is not valid \(expected a mapping"):
        TrainConfig.from_preset(bad)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**old, "method_options": 3, "out_dim": 8}))
    with pytest.raises(ConfigError, match=r"method_options = 3 is not valid"):
        RunDir(tmp_path).load_config()


def _skill_train(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skill_train", "train", *args], capture_output=True, text=True,
                          timeout=180, cwd=tmp_path)


def test_bad_method_options_and_devices_are_one_line_on_the_command_line(tmp_path):
    from skill_train.models.device import DeviceError, resolve_device

    bad = tmp_path / "bad.yaml"
    bad.write_text("method: dino\nmethod_options: 3\n")
    cases = [(["--preset", str(bad)], f"error: {bad}: method_options = 3 is not valid (expected a mapping of options)")]
    if not torch.cuda.is_available():
        cases.append((["--device", "cuda"], "error: --device cuda: no CUDA device is available here (use --device cpu)"))
    for args, line in cases:
        proc = _skill_train(tmp_path, "--task", "curtains", "--out", str(tmp_path / "run"), *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert line in proc.stdout + proc.stderr
        assert not (tmp_path / "run").exists()  # nothing written
    with pytest.raises(DeviceError, match=r"--device 'gpu0' is not a device \(cpu, cuda, cuda:N or auto\)"):
        resolve_device("gpu0")


def test_a_catalogue_of_one_type_needs_no_task_and_several_types_each_get_their_own(tiny_preset, tmp_path):
    from skill_aug.synth import write_catalog

    shirts = tmp_path / "shirt16"
    write_catalog("shirt", products=16, out=shirts, size=64, photos_min=2, photos_max=2)
    run = tmp_path / "run"
    result = CliRunner().invoke(app(), ["train", "--data", str(shirts), "--preset", str(tiny_preset), "--out",
                                        str(run), "--max-steps", "1"])
    assert result.exit_code == 0, result.output
    policy = yaml.safe_load((run / "policy.yaml").read_text())
    assert policy["task"] == "shirt" and "shirt" in policy["name"]

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    rows = ["product_id,category,pattern"]
    for i, category in enumerate(["dress"] * 3 + ["shoes"] * 2):
        folder = mixed / f"p{i}"
        folder.mkdir()
        for photo in (shirts / sorted(p.name for p in shirts.iterdir() if p.is_dir())[i]).iterdir():
            (folder / photo.name).write_bytes(photo.read_bytes())
        rows.append(f"p{i},{category},plain")
    (mixed / "attributes.csv").write_text("\n".join(rows) + "\n")
    from skill_aug.errors import CatalogError
    from skill_train.train.data import resolve_policies

    cfg = cli_train.build_config({**OPTIONS, "data": str(mixed), "preset": str(tiny_preset)}, Console())
    policies = resolve_policies(cfg)  # several types: each product gets its own type's policy
    assert list(policies.policies) == ["dress", "shoes"] and dict(policies.counts) == {"dress": 3, "shoes": 2}
    assert [policies.for_index(i).task for i in range(5)] == ["dress"] * 3 + ["shoes"] * 2
    (mixed / "attributes.csv").write_text("product_id,pattern\n" + "".join(f"p{i},plain\n" for i in range(5)))
    with pytest.raises(CatalogError, match=r"has no 'category' column to name each product's type: give --task"):
        resolve_policies(cfg)
