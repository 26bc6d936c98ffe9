"""The training loop end to end on a tiny real catalogue: run folder, resume, export, DDP, NaN, Ctrl-C."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
import yaml
from PIL import Image
from safetensors.torch import load_file

from skill_train.run.checkpoint import load_checkpoint
from skill_train.run.config import ConfigError, TrainConfig
from skill_train.methods.dino import cancel_last_layer_gradients
from skill_train.train.build import build_method, initial_backbone
from skill_train.train.loop import TrainingDiverged, clip_gradients, train

REPO = Path(__file__).resolve().parents[2]
TINY_ARCH = {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2}
PATTERNS = ("stripes", "checks", "solid")
COLOURS = {"red": (200, 30, 30), "green": (30, 160, 60), "blue": (40, 60, 200)}


def _photo(pattern: str, colour: tuple[int, int, int], shift: int, size: int = 48) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    mask = {"stripes": ((yy + shift) // 6) % 2, "checks": (((xx + shift) // 8) + (yy // 8)) % 2,
            "solid": np.ones((size, size), int)}[pattern]
    image = np.full((size, size, 3), 235, np.uint8)
    image[mask == 1] = colour
    return image


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    """24 products × 2 photos: 3 patterns × 3 colours, two products per design."""
    root = tmp_path_factory.mktemp("catalog")
    rows = ["product_id,pattern,color,design_id"]
    for i in range(24):
        pattern, colour = PATTERNS[i % 3], list(COLOURS)[(i // 3) % 3]
        folder = root / f"p{i:02d}"
        folder.mkdir()
        for k in range(2):
            Image.fromarray(_photo(pattern, COLOURS[colour], shift=3 * k + i)).save(folder / f"{k:02d}.png")
        rows.append(f"p{i:02d},{pattern},{colour},d{i // 2}")
    (root / "attributes.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "tiny.yaml"
    path.write_text("name: tiny\nglobal_space:\n  preset: dino\n")
    return path


def tiny(catalog: Path, policy_file: Path, out: Path, **changes) -> TrainConfig:
    values = dict(data=str(catalog), policy=str(policy_file), out=str(out), epochs=2, batch_size=8,
                  arch="vit_tiny_patch16_224", arch_overrides=TINY_ARCH, high_res_size=32, low_res_size=16, n_local=2, out_dim=32,
                  head_hidden_dim=32, head_bottleneck_dim=16, workers=0, threads=1, warmup_epochs=1)
    values.update(changes)
    return TrainConfig.from_preset("cpu", **values)


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def finished_run(catalog, policy_file, tmp_path_factory) -> Path:
    return train(tiny(catalog, policy_file, tmp_path_factory.mktemp("runs") / "run", drop_path_rate=0.1))


def test_run_folder_holds_everything(finished_run):
    run = finished_run
    for name in ("config.yaml", "policy.yaml", "metrics.jsonl", "summary.json", "checkpoint.pt",
                 "backbone.safetensors", "model_config.json"):
        assert (run / name).is_file(), name
    rows = metrics(run)
    # 24 products, 20 % of the 12 designs held out → 20 training products → 2 steps of 8 per epoch
    assert [r["step"] for r in rows] == [0, 1, 2, 3] and [r["epoch"] for r in rows] == [0, 0, 1, 1]
    for key in ("loss", "lr", "wd", "momentum", "teacher_temp", "teacher_entropy", "kl", "images_per_s"):
        assert all(math.isfinite(r[key]) for r in rows), key
    assert rows[0]["lr"] == 0.0 and rows[1]["lr"] > 0  # linear warm-up over the first epoch
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["steps"] == 4 and summary["world_size"] == 1
    assert summary["final_loss"] == rows[-1]["loss"] and summary["images_per_s"] > 0
    assert summary["device"] == "cpu" and summary["peak_gpu_memory_gib"] is None  # a CUDA run records its peak
    knn = summary["knn"]
    assert knn["group_by"] == "design_id" and knn["test_products"] == 4
    for name in ("pattern", "color"):
        r = knn["attributes"][name]
        assert r["n_classes"] == 3 and 0 <= r["chance"] <= 1 and 0 <= r["accuracy"] <= 1
        assert 0 <= r["random_init_accuracy"] <= 1
    saved = TrainConfig.from_yaml(run / "config.yaml")
    assert saved.resume is False and saved.options.out_dim == 32
    policy = yaml.safe_load((run / "policy.yaml").read_text())
    assert policy["global_space"]["high_res"]["size"] == 32 and policy["global_space"]["low_res"]["count"] == 2


def test_export_round_trip_gives_the_teachers_embeddings(finished_run):
    config = json.loads((finished_run / "model_config.json").read_text())
    assert config["num_classes"] == 0 and config["dynamic_img_size"] is True and config["img_size"] == 32
    model = timm.create_model(**config)
    model.load_state_dict(load_file(str(finished_run / "backbone.safetensors")))
    model.eval()
    cfg = TrainConfig.from_yaml(finished_run / "config.yaml")
    teacher = build_method(cfg, 32)[0].teacher
    teacher.load_state_dict(load_checkpoint(finished_run)["teacher"])
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(x), teacher.backbone(x))
        assert not torch.allclose(model(x), initial_backbone(cfg, 32).eval()(x))  # it did train


def test_initial_backbone_is_the_students_start(catalog, policy_file, tmp_path):
    cfg = tiny(catalog, policy_file, tmp_path / "x")
    method = build_method(cfg, 32)[0]
    student, teacher = method.student, method.teacher
    again = initial_backbone(cfg, 32)
    for (name, a), b in zip(student.backbone.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), name
    for a, b in zip(student.parameters(), teacher.parameters()):
        assert torch.equal(a, b) and not b.requires_grad


def test_resume_after_interruption_gives_the_same_losses(catalog, policy_file, finished_run, tmp_path):
    # finished_run is the uninterrupted run (drop-path on, so RNG states matter too).
    cfg = tiny(catalog, policy_file, tmp_path / "resumed", drop_path_rate=0.1)
    train(cfg.replace(max_steps=3))                      # stops mid-epoch 1
    assert len(metrics(tmp_path / "resumed")) == 3
    assert load_checkpoint(tmp_path / "resumed")["next_step"] == 3
    train(cfg.replace(resume=True))
    assert [r["loss"] for r in metrics(tmp_path / "resumed")] == [r["loss"] for r in metrics(finished_run)]
    a, b = load_checkpoint(finished_run), load_checkpoint(tmp_path / "resumed")
    for key in a["teacher"]:
        assert torch.equal(a["teacher"][key], b["teacher"][key]), key
    assert torch.equal(a["dino_loss"]["center"], b["dino_loss"]["center"])


def test_eval_every_logs_the_learning_signal_without_changing_training(catalog, policy_file, finished_run, tmp_path):
    """A k-NN check after epoch 1 of 2: logged, kept in the summary, shown; the losses are untouched,
    also when the run is interrupted before the check and resumed across it."""
    cfg = tiny(catalog, policy_file, tmp_path / "checked", drop_path_rate=0.1, eval_every=1)
    train(cfg.replace(max_steps=1))
    train(cfg.replace(resume=True))
    rows = metrics(tmp_path / "checked")
    assert [r["loss"] for r in rows] == [r["loss"] for r in metrics(finished_run)]
    checked = [r for r in rows if "knn" in r]
    spe = len(rows) // 2
    assert [r["step"] for r in checked] == [spe - 1]  # after epoch 1; the last epoch has the final check
    assert set(checked[0]["knn"]) == {"pattern", "color"} and 0 <= checked[0]["knn"]["pattern"] <= 1
    curve = json.loads((tmp_path / "checked" / "summary.json").read_text())["knn"]["curve"]
    assert [point["epoch"] for point in curve] == [1, 2.0] and curve[0]["pattern"] == checked[0]["knn"]["pattern"]
    a, b = load_checkpoint(finished_run), load_checkpoint(tmp_path / "checked")
    assert all(torch.equal(a["teacher"][k], b["teacher"][k]) for k in a["teacher"])


def test_existing_run_needs_resume_and_resume_needs_a_run(catalog, policy_file, finished_run, tmp_path):
    with pytest.raises(ConfigError, match="already holds a run"):
        train(tiny(catalog, policy_file, finished_run))
    with pytest.raises(Exception, match="no checkpoint.pt"):
        train(tiny(catalog, policy_file, tmp_path / "none", resume=True))


def test_nan_loss_stops_after_saving_the_last_good_state(catalog, policy_file, tmp_path, monkeypatch):
    from skill_train.methods.dino import method as dino

    class ExplodingLoss(dino.DINOLoss):
        calls = 0

        def forward(self, *args, **kwargs):
            loss = super().forward(*args, **kwargs)
            ExplodingLoss.calls += 1
            return loss * float("nan") if ExplodingLoss.calls == 3 else loss

    monkeypatch.setattr(dino, "DINOLoss", ExplodingLoss)
    with pytest.raises(TrainingDiverged, match="at step 2 "):
        train(tiny(catalog, policy_file, tmp_path / "nan"))
    state = load_checkpoint(tmp_path / "nan")
    assert state["next_step"] == 2 and len(metrics(tmp_path / "nan")) == 2
    assert all(torch.isfinite(v).all() for v in state["student"].values())
    summary = json.loads((tmp_path / "nan" / "summary.json").read_text())
    assert summary["status"] == "diverged" and not (tmp_path / "nan" / "backbone.safetensors").exists()


def test_per_parameter_clipping_and_last_layer_freeze():
    model = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 4), "last_layer": torch.nn.Linear(4, 2)})
    for p in model.parameters():
        p.grad = torch.full_like(p, 10.0)
    small = model["a"].bias
    small.grad = torch.full_like(small, 0.1)  # norm 0.2: left alone
    clip_gradients(model, 3.0)
    assert model["a"].weight.grad.norm() == pytest.approx(3.0, rel=1e-4)
    assert model["last_layer"].weight.grad.norm() == pytest.approx(3.0, rel=1e-4)
    assert torch.allclose(small.grad, torch.full_like(small, 0.1))
    cancel_last_layer_gradients(model, epoch=1, freeze_epochs=1)
    assert model["last_layer"].weight.grad is not None
    cancel_last_layer_gradients(model, epoch=0, freeze_epochs=1)
    assert model["last_layer"].weight.grad is None and model["a"].weight.grad is not None


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run_train.py"
    path.write_text(textwrap.dedent(f"""
        import sys, warnings
        sys.path[:0] = [{str(REPO)!r}, {str(Path(__file__).parent)!r}]
        warnings.filterwarnings("ignore")
        import torch
        from pathlib import Path
        from test_trainer import tiny
        from skill_train.train.loop import train, TrainingInterrupted
        catalog, policy, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    """) + textwrap.dedent(body))
    return path


@pytest.mark.parametrize("centering", ["center", "sinkhorn"])
def test_ddp_two_processes_match_one(catalog, policy_file, tmp_path, centering):
    script = _script(tmp_path, """
        # the KoLeo term is gathered over processes; BatchNorm in the head would see per-process
        # batches (SyncBatchNorm is CUDA-only), so this exactness test leaves it out
        train(tiny(catalog, policy, out, epochs=1, eval_holdout=0.0, centering=sys.argv[4], koleo_weight=0.1,
                   head_batchnorm=False))
    """)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, str(script), str(catalog), str(policy_file), str(tmp_path / "one"), centering],
                         env=env, capture_output=True, text=True, timeout=120)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          str(script), str(catalog), str(policy_file), str(tmp_path / "two"), centering],
                         env=env, capture_output=True, text=True, timeout=180)
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = metrics(tmp_path / "one"), metrics(tmp_path / "two")
    assert len(a) == len(b) == 3  # 24 products, batch 8
    np.testing.assert_allclose([r["loss"] for r in b], [r["loss"] for r in a], rtol=1e-5)
    assert json.loads((tmp_path / "two" / "summary.json").read_text())["world_size"] == 2
    ca, cb = load_checkpoint(tmp_path / "one"), load_checkpoint(tmp_path / "two")
    torch.testing.assert_close(cb["dino_loss"]["center"], ca["dino_loss"]["center"], rtol=1e-4, atol=1e-6)
    assert len(cb["rng"]) == 2


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(catalog, policy_file, tmp_path):
    script = _script(tmp_path, """
        try:
            train(tiny(catalog, policy, out, epochs=200, eval_holdout=0.0, workers=1))
        except TrainingInterrupted as stop:
            print("STOPPED", stop.step)
            sys.exit(130)
    """)
    out = tmp_path / "ctrl-c"
    # its own process group, so the signal reaches the DataLoader worker too, as a terminal's Ctrl-C does
    proc = subprocess.Popen([sys.executable, str(script), str(catalog), str(policy_file), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 60
    while time.time() < deadline and not ((out / "metrics.jsonl").is_file() and (out / "metrics.jsonl").read_text()):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    step = int(stdout.split("STOPPED")[1].split()[0])
    assert load_checkpoint(out)["next_step"] == step == len(metrics(out))


def test_the_run_table_shows_peak_gpu_memory_only_for_a_cuda_run(finished_run):
    import io

    from rich.console import Console

    from skill_train.run.log import summary_tables

    def shown(summary: dict) -> str:
        out = io.StringIO()
        Console(file=out, width=120).print(summary_tables(summary)[0])
        return out.getvalue()

    summary = json.loads((finished_run / "summary.json").read_text())
    assert "peak GPU memory" not in shown(summary)
    assert "7.90 GiB per process" in shown({**summary, "device": "cuda:0", "peak_gpu_memory_gib": 7.9})
