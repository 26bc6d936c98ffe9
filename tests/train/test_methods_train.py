"""SimCLR and BYOL (and DINO on a CNN) through the real trainer: run folder, timm export, resume, DDP, CLI."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import timm
import torch
import torch.nn.functional as F
import yaml
from safetensors.torch import load_file

from skill_train.methods.registry import build_registry, get_registry, set_registry
from skill_train.run.checkpoint import load_checkpoint
from skill_train.run.config import TrainConfig
from skill_train.methods import Method, StepResult, hookimpl
from skill_train.methods.heads import projection_mlp
from skill_train.models.multicrop import MultiCropWrapper
from skill_train.train.build import build_method, load_backbone_weights
from skill_train.train.loop import train

from test_trainer import _script, catalog, metrics, policy_file  # noqa: F401  (module-scoped fixtures)

REPO = Path(__file__).resolve().parents[2]
HEADS = {"simclr": {"proj_hidden_dim": 16, "proj_dim": 8},
         "byol": {"proj_hidden_dim": 16, "proj_dim": 8, "pred_hidden_dim": 16},
         "dino": {"out_dim": 32, "head_hidden_dim": 32, "head_bottleneck_dim": 16}}
STATS = {"simclr": {"positive_cosine", "negative_cosine", "contrastive_accuracy", "embedding_std"},
         "byol": {"prediction_cosine", "target_std", "momentum"},
         "dino": {"teacher_temp", "teacher_entropy", "kl", "prototypes_used", "momentum"}}


def tiny_method(method: str, catalog: Path, policy_file: Path, out: Path, **changes) -> TrainConfig:
    """The method's CPU recipe shrunk to a tiny CNN (timm's ``test_resnet``) at 32/16 px."""
    values = dict(method=method, data=str(catalog), policy=str(policy_file), out=str(out), epochs=2, batch_size=8,
                  arch="test_resnet", arch_overrides={}, high_res_size=32, low_res_size=16,
                  workers=0, threads=1, warmup_epochs=1, method_options=HEADS[method])
    values.update(changes)
    return TrainConfig.from_preset("cpu", **values)


@pytest.fixture(scope="module")
def runs(catalog, policy_file, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("method-runs")
    torch.set_num_threads(1)
    return {m: train(tiny_method(m, catalog, policy_file, root / m, n_local=2 if m == "dino" else None))
            for m in ("simclr", "byol", "dino")}


@pytest.mark.parametrize("method", ["simclr", "byol", "dino"])
def test_each_method_trains_writes_its_run_and_exports_a_timm_backbone(runs, method):
    run = runs[method]
    for name in ("config.yaml", "policy.yaml", "metrics.jsonl", "summary.json", "checkpoint.pt",
                 "backbone.safetensors", "model_config.json"):
        assert (run / name).is_file(), name
    rows = metrics(run)
    assert [r["step"] for r in rows] == [0, 1, 2, 3]  # 20 training products, batch 8, 2 epochs
    assert STATS[method] <= set(rows[-1]) and all(math.isfinite(r["loss"]) for r in rows)
    cfg = TrainConfig.from_yaml(run / "config.yaml")
    assert cfg.method == method and cfg.method_options.keys() == load_default(method).keys()
    assert HEADS[method].items() <= cfg.method_options.items()  # every option saved, the overrides applied
    policy = yaml.safe_load((run / "policy.yaml").read_text())
    assert policy["global_space"]["low_res"]["count"] == (2 if method == "dino" else 0)  # SimCLR/BYOL: x′, x″ only
    summary = json.loads((run / "summary.json").read_text())
    assert summary["method"] == method and summary["status"] == "finished" and summary["final_loss"] == rows[-1]["loss"]
    assert set(summary["final_stats"]) >= STATS[method] and summary["knn"]["attributes"]["pattern"]["n_classes"] == 3

    config = json.loads((run / "model_config.json").read_text())
    assert config == {"model_name": "test_resnet", "num_classes": 0}  # CNNs take any input size
    exported = timm.create_model(**config)
    exported.load_state_dict(load_file(str(run / "backbone.safetensors")))
    method_now, _ = build_method(cfg, 32, n_local=cfg.n_local or 0)
    method_now.load_state_dict(load_checkpoint(run))
    embedding = method_now.embedding_backbone().eval()
    expected_network = "teacher" if method == "dino" else "student"
    assert embedding is method_now.networks()[expected_network].backbone
    x = torch.randn(3, 3, 40, 40)
    with torch.no_grad():
        torch.testing.assert_close(exported.eval()(x), embedding(x))
    # --init from the checkpoint takes the same (embedding) backbone
    fresh = timm.create_model(**config)
    load_backbone_weights(fresh, run / "checkpoint.pt")
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x), embedding(x))


def load_default(method: str) -> dict:
    from skill_train.methods import load_method

    return load_method(method).default_options()


def test_byol_resumed_run_gives_the_same_losses_and_target(runs, catalog, policy_file, tmp_path):
    cfg = tiny_method("byol", catalog, policy_file, tmp_path / "resumed")
    train(cfg.replace(max_steps=3))
    train(cfg.replace(resume=True))
    assert [r["loss"] for r in metrics(tmp_path / "resumed")] == [r["loss"] for r in metrics(runs["byol"])]
    a, b = load_checkpoint(runs["byol"]), load_checkpoint(tmp_path / "resumed")
    for key in a["teacher"]:
        assert torch.equal(a["teacher"][key], b["teacher"][key]), key


def test_simclr_under_ddp_gathers_negatives_from_both_processes(catalog, policy_file, tmp_path):
    script = _script(tmp_path, """
        from test_methods_train import tiny_method
        train(tiny_method("simclr", catalog, policy, out, epochs=1, eval_holdout=0.0))
    """)
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), str(catalog), str(policy_file), str(tmp_path / "two")],
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = metrics(tmp_path / "two")
    assert len(rows) == 3 and all(math.isfinite(r["loss"]) for r in rows)  # 24 products, global batch 8
    # at the start the projections barely differ, so the loss is near ln(candidates): ln 15 when each
    # anchor sees the 2·8 − 1 other views of the global batch, ln 7 if only its own process's 4 products
    assert rows[0]["loss"] > (math.log(7) + math.log(15)) / 2
    assert json.loads((tmp_path / "two" / "summary.json").read_text())["world_size"] == 2


def test_method_recipes_and_unknown_method_on_the_command_line(tmp_path):
    from rich.console import Console

    from skill_train.cli import train as cli_train

    options = dict(task="shirt", data=None, policy=None, preset=None, epochs=None, batch_size=None, lr=None,
                   workers=None, seed=None, out=None, resume=None, max_steps=None, device="cpu", init=None,
                   method="simclr", arch=None)
    cfg = cli_train.build_config(options, Console(file=open(os.devnull, "w")))
    assert (cfg.arch, cfg.n_local, cfg.method_options["temperature"]) == ("resnet18", 0, 0.5)
    cfg = cli_train.build_config({**options, "method": "byol", "arch": "resnet34"}, Console(file=open(os.devnull, "w")))
    assert (cfg.arch, cfg.arch_overrides, cfg.momentum_teacher) == ("resnet34", {}, 0.996)
    cfg = cli_train.build_config({**options, "method": None, "preset": "paper"}, Console(file=open(os.devnull, "w")))
    assert cfg.method == "dino" and cfg.arch == "vit_small_patch16_224"  # DINO keeps the presets as written
    # a comparison's shared budget, moved to another method: its recipe, the same epochs/batch/seed
    base = TrainConfig.from_preset("cpu", task="shirt", epochs=3, batch_size=16, seed=4)
    byol = base.with_method("byol", method_options={"proj_dim": 64})
    assert (byol.method, byol.arch, byol.n_local, byol.clip_grad) == ("byol", "resnet18", 0, 0.0)
    assert (byol.epochs, byol.batch_size, byol.seed) == (3, 16, 4)
    assert byol.method_options == {"proj_hidden_dim": 1024, "proj_dim": 64, "pred_hidden_dim": 1024}
    proc = subprocess.run([sys.executable, "-m", "skill_train", "train", "--task", "shirt", "--method", "simclrr",
                           "--out", str(tmp_path / "x")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unknown method 'simclrr' (did you mean simclr?)" in proc.stdout + proc.stderr


# -- a third-party method, registered through the hook, trained without touching the trainer -----
@dataclass(frozen=True)
class VICRegOptions:
    dim: int = 8


class VICReg(Method):
    """A minimal VICReg (invariance, variance, covariance terms) as a plugin would write it."""

    name = "vicreg"
    Options = VICRegOptions

    @classmethod
    def build(cls, setup):
        options = cls.parse_options(setup.options)
        head = projection_mlp(setup.backbone.num_features, 16, options.dim)
        return cls(MultiCropWrapper(setup.backbone, head), None, options)

    def step(self, views, epoch, step):
        z1, z2 = self.forward_student(views[:2]).float().chunk(2)
        invariance = F.mse_loss(z1, z2)
        variance = sum(F.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean() for z in (z1, z2))
        centred = [z - z.mean(dim=0) for z in (z1, z2)]
        covariance = sum((c.T @ c / (len(c) - 1)).fill_diagonal_(0).pow(2).sum() / c.shape[1] for c in centred)
        return StepResult(25 * invariance + 25 * variance + covariance, {"invariance": invariance.item()})


class _ThirdParty:
    @staticmethod
    @hookimpl
    def register_methods(register):
        register("vicreg", "test_methods_train:VICReg", "VICReg, from a test plugin")


def test_a_plugin_method_trains_through_the_unchanged_trainer(catalog, policy_file, tmp_path):
    previous = get_registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        set_registry(build_registry([("third_party", _ThirdParty())]))
    try:
        cfg = TrainConfig.from_preset("cpu", method="vicreg", method_options={"dim": 4}, data=str(catalog),
                                      policy=str(policy_file), out=str(tmp_path / "v"), epochs=1, batch_size=8,
                                      arch="test_resnet", arch_overrides={}, high_res_size=32, workers=0, threads=1,
                                      eval_holdout=0.0)
        run = train(cfg)
    finally:
        set_registry(previous)
    rows = metrics(run)
    assert len(rows) == 3 and all("invariance" in r and math.isfinite(r["loss"]) for r in rows)
    assert yaml.safe_load((run / "config.yaml").read_text())["method_options"] == {"dim": 4}
    assert yaml.safe_load((run / "policy.yaml").read_text())["global_space"]["low_res"]["count"] == 0
    assert json.loads((run / "model_config.json").read_text())["model_name"] == "test_resnet"
