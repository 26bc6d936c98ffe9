"""The methods: NT-Xent and BYOL losses against hand-computed values and explicit loops, the BYOL
momentum schedule and EMA, DINO behind the Method interface, registration and loading by name."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F
from typer.testing import CliRunner

from skill_aug import load_policy
from skill_train.methods.registry import build_registry, get_registry, set_registry
from skill_train.run.config import TrainConfig
from skill_train.methods.dino import DINOLoss, koleo_loss
from skill_train.methods import hookimpl
from skill_train.methods import Method, MethodError, MethodSetup, UnknownMethod, load_method, method_names
from skill_train.methods.byol import BYOL, byol_loss, momentum_schedule
from skill_train.methods.dino import DINO
from skill_train.methods.simclr import SimCLR, nt_xent_loss

REPO = Path(__file__).resolve().parents[2]
SMALL_HEADS = {"simclr": {"proj_hidden_dim": 16, "proj_dim": 8},
               "byol": {"proj_hidden_dim": 16, "proj_dim": 8, "pred_hidden_dim": 16}, "dino": {}}


# -- NT-Xent -----------------------------------------------------------------------------------
def reference_nt_xent(z1: np.ndarray, z2: np.ndarray, temperature: float) -> float:
    """SimCLR's loss written out: for each of the 2N views, -log softmax of its positive among the others."""
    views = [v / np.linalg.norm(v) for v in list(z1) + list(z2)]
    n = len(z1)
    losses = []
    for a in range(2 * n):
        positive = a + n if a < n else a - n
        denominator = 0.0
        for k in range(2 * n):
            if k != a:
                denominator += math.exp(float(np.dot(views[a], views[k])) / temperature)
        numerator = math.exp(float(np.dot(views[a], views[positive])) / temperature)
        losses.append(-math.log(numerator / denominator))
    return sum(losses) / len(losses)


def test_nt_xent_hand_computed_orthogonal_pairs():
    # Two products whose views agree exactly and are orthogonal to the other product's:
    # each anchor sees its positive at cosine 1 and two negatives at cosine 0, so
    # loss = -log(e^{1/T} / (e^{1/T} + 2)) = log(1 + 2 e^{-1/T}).
    z1 = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    z2 = torch.tensor([[2.0, 0.0], [0.0, 0.5]])  # lengths do not matter: cosines
    loss, stats = nt_xent_loss(z1, z2, temperature=0.5)
    assert loss.item() == pytest.approx(math.log(1 + 2 * math.exp(-2.0)), abs=1e-6)  # 0.23954
    assert stats["positive_cosine"] == pytest.approx(1.0)
    assert stats["negative_cosine"] == pytest.approx(0.0, abs=1e-7)
    assert stats["contrastive_accuracy"] == 1.0
    # one product alone: its positive is the only candidate, the loss is exactly 0
    assert nt_xent_loss(z1[:1], z2[:1], temperature=0.1)[0].item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_nt_xent_matches_explicit_loops(temperature):
    gen = torch.Generator().manual_seed(3)
    z1 = torch.randn(5, 4, generator=gen, dtype=torch.float64)
    z2 = z1 + 0.7 * torch.randn(5, 4, generator=gen, dtype=torch.float64)
    loss, stats = nt_xent_loss(z1, z2, temperature)
    assert loss.item() == pytest.approx(reference_nt_xent(z1.numpy(), z2.numpy(), temperature), rel=1e-5)
    cos = torch.nn.functional.cosine_similarity(z1, z2, dim=-1)
    assert stats["positive_cosine"] == pytest.approx(cos.mean().item(), rel=1e-5)
    # swapping the views gives the same loss; a collapsed batch gives log(2N - 1)
    assert nt_xent_loss(z2, z1, temperature)[0].item() == pytest.approx(loss.item(), rel=1e-6)
    same = torch.ones(5, 4)
    assert nt_xent_loss(same, same, temperature)[0].item() == pytest.approx(math.log(9), rel=1e-5)


def test_nt_xent_two_processes_match_one(tmp_path):
    """Negatives gathered with their gradients: 2 processes × 3 products = 1 process × 6."""
    script = tmp_path / "gather.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys, torch, torch.distributed as dist
        sys.path.insert(0, {str(REPO)!r})
        from skill_train.methods.simclr import nt_xent_loss
        dist.init_process_group("gloo")
        rank = dist.get_rank()
        gen = torch.Generator().manual_seed(0)
        z1, z2 = torch.randn(6, 5, generator=gen), torch.randn(6, 5, generator=gen)
        a = z1[3 * rank:3 * rank + 3].clone().requires_grad_()
        b = z2[3 * rank:3 * rank + 3].clone().requires_grad_()
        loss, _ = nt_xent_loss(a, b, 0.2)
        loss.backward()
        torch.save({{"loss": loss.detach(), "g1": a.grad, "g2": b.grad}}, sys.argv[1] + f"/rank{{rank}}.pt")
        dist.destroy_process_group()
    """))
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    gen = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 5, generator=gen).requires_grad_()
    z2 = torch.randn(6, 5, generator=gen).requires_grad_()
    loss, _ = nt_xent_loss(z1, z2, 0.2)
    loss.backward()
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    assert (ranks[0]["loss"] + ranks[1]["loss"]).item() / 2 == pytest.approx(loss.item(), rel=1e-5)
    # each process holds the sum of both losses' gradients for its rows; DDP's average over
    # the two processes then gives the one-process gradient of the global mean
    for r, part in enumerate(ranks):
        rows = slice(3 * r, 3 * r + 3)
        torch.testing.assert_close(part["g1"] / 2, z1.grad[rows], rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(part["g2"] / 2, z2.grad[rows], rtol=1e-4, atol=1e-6)


# -- BYOL ---------------------------------------------------------------------------------------
def test_byol_loss_hand_computed():
    # sample 0: p1 ⟂ z2 → 2 − 2·0 = 2;  p2 ∥ z1 → 0.            total 2
    # sample 1: p1 = −z2 direction → 2 + 2 = 4;  p2 ⟂ z1 → 2.     total 6   → batch mean 4
    p1 = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    z2 = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    p2 = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    z1 = torch.tensor([[2.0, 2.0], [1.0, 0.0]])
    assert byol_loss(p1, p2, z1, z2).item() == pytest.approx(4.0, abs=1e-6)


def test_byol_loss_matches_explicit_loops_and_stops_target_gradients():
    gen = torch.Generator().manual_seed(1)
    p1, p2, z1, z2 = (torch.randn(4, 6, generator=gen, dtype=torch.float64, requires_grad=True) for _ in range(4))

    def term(p: torch.Tensor, z: torch.Tensor) -> float:
        dot = sum(p[i].item() * z[i].item() for i in range(len(p)))
        norm_p = math.sqrt(sum(v.item() ** 2 for v in p))
        norm_z = math.sqrt(sum(v.item() ** 2 for v in z))
        return 2 - 2 * dot / (norm_p * norm_z)

    expected = sum(term(p1[b], z2[b]) + term(p2[b], z1[b]) for b in range(4)) / 4
    loss = byol_loss(p1, p2, z1, z2)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert z1.grad is None and z2.grad is None and p1.grad is not None and p2.grad is not None


def test_byol_momentum_schedule_is_the_papers_cosine():
    schedule = momentum_schedule(0.996, epochs=2, steps_per_epoch=5)  # K = 10 steps
    expected = [1 - (1 - 0.996) * (math.cos(math.pi * k / 10) + 1) / 2 for k in range(10)]
    np.testing.assert_allclose(schedule, expected, rtol=0, atol=1e-12)
    assert schedule[0] == pytest.approx(0.996) and schedule[5] == pytest.approx(0.998)
    assert np.all(np.diff(schedule) > 0) and schedule[-1] < 1


# -- the methods end to end on a tiny CNN -------------------------------------------------------
def tiny_cfg(**changes) -> TrainConfig:
    values = dict(out_dim=32, head_hidden_dim=32, head_bottleneck_dim=16, epochs=2, momentum_teacher=0.9,
                  koleo_weight=0.0, centering="center", head_batchnorm=False)
    values.update(changes)
    return TrainConfig.from_preset("cpu", **values)


def build(name: str, seed: int = 0, n_local: int = 0, cfg: TrainConfig | None = None):
    def backbone() -> torch.nn.Module:
        return timm.create_model("test_resnet", num_classes=0)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cfg = cfg or tiny_cfg()
        options = cfg.method_options if name == "dino" else SMALL_HEADS[name]  # DINO's come from the config
        setup = MethodSetup(backbone(), backbone, cfg, options, steps_per_epoch=3, n_local=n_local)
        return load_method(name).build(setup).train()


def views(n_local: int = 0, batch: int = 4, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return ([torch.randn(batch, 3, 32, 32, generator=gen) for _ in range(2)]
            + [torch.randn(batch, 3, 16, 16, generator=gen) for _ in range(n_local)])


def train_steps(method, batches: list[list[torch.Tensor]], epoch: int = 0) -> list[float]:
    optimizer = torch.optim.AdamW(method.student.parameters(), lr=1e-3)
    losses = []
    for step, batch in enumerate(batches):
        out = method.step(batch, epoch, step)
        optimizer.zero_grad()
        out.loss.backward()
        method.before_optimizer_step(epoch, step)
        optimizer.step()
        out.stats.update(method.after_optimizer_step(epoch, step))
        assert all(math.isfinite(v) for v in out.stats.values()), out.stats
        losses.append(out.loss.item())
    return losses


@pytest.mark.parametrize("name,n_local", [("simclr", 0), ("byol", 0), ("dino", 2)])
def test_each_method_trains_and_restores_its_state(name, n_local):
    torch.set_num_threads(1)
    method = build(name, n_local=n_local)
    batch = views(n_local)
    losses = train_steps(method, [batch] * 4)
    assert losses[-1] < losses[0]  # the same batch four times: the loss must go down
    restored = build(name, seed=1, n_local=n_local)
    before = {k: v.clone() for k, v in restored.embedding_backbone().state_dict().items()}
    restored.load_state_dict(method.state_dict())
    for net in (method, restored):
        for module in net.networks().values():
            module.eval()
    x = batch[0]
    with torch.no_grad():
        torch.testing.assert_close(restored.embedding_backbone()(x), method.embedding_backbone()(x))
    assert any(not torch.equal(before[k], v) for k, v in restored.embedding_backbone().state_dict().items())
    weights = type(method).backbone_state(method.state_dict())
    assert weights.keys() == method.embedding_backbone().state_dict().keys()


def test_state_of_another_method_is_refused():
    with pytest.raises(MethodError, match="no 'teacher' state for method 'byol'"):
        build("byol").load_state_dict(build("simclr").state_dict())
    with pytest.raises(MethodError, match="'student' state does not fit method 'simclr' as configured"):
        build("simclr").load_state_dict({**build("byol").state_dict()})


def test_byol_target_is_an_ema_of_the_online_backbone_and_projector():
    method = build("byol")
    old_target = {k: v.clone() for k, v in method.teacher.state_dict().items()}
    optimizer = torch.optim.SGD(method.student.parameters(), lr=0.1)
    method.step(views(), 0, 2).loss.backward()
    optimizer.step()
    momentum = method.after_optimizer_step(0, 2)["momentum"]
    assert momentum == pytest.approx(method.momentum_schedule[2])
    online = method.student.state_dict()
    target = method.teacher.state_dict()
    for key in ("backbone.conv1.0.weight", "backbone.conv1.1.bias", "head.0.weight", "head.3.bias"):
        source = key.replace("head.", "head.projector.")
        expected = momentum * old_target[key] + (1 - momentum) * online[source]
        torch.testing.assert_close(target[key], expected)
    assert not any(k.startswith("head.predictor") for k in target)  # the predictor is online only
    assert method.embedding_backbone() is method.student.backbone


def test_simclr_has_no_momentum_copy_and_exports_its_backbone():
    method = build("simclr")
    assert method.teacher is None and method.embedding_backbone() is method.student.backbone
    assert method.after_optimizer_step(0, 0) == {}


def test_dino_method_is_the_trainers_dino_step():
    cfg = tiny_cfg(freeze_last_layer=1)
    method = build("dino", n_local=2, cfg=cfg)
    batch = views(2)
    out = method.step(batch, 0, 0)
    with torch.no_grad():
        reference = DINOLoss(32, 4, cfg.options.warmup_teacher_temp, cfg.options.teacher_temp, cfg.options.warmup_teacher_temp_epochs,
                             cfg.epochs)(method.student(batch), method.teacher(batch[:2]), 0, update_center=False)
    assert out.loss.item() == pytest.approx(reference.item(), rel=1e-5)
    assert set(out.stats) == {"teacher_temp", "teacher_entropy", "kl", "prototypes_used"}
    out.loss.backward()
    method.before_optimizer_step(0, 0)  # epoch 0 < freeze_last_layer: prototypes frozen
    assert all(p.grad is None for n, p in method.student.named_parameters() if "last_layer" in n)
    assert torch.count_nonzero(method.loss.center) == 0
    method.after_optimizer_step(0, 0)
    assert torch.count_nonzero(method.loss.center) > 0  # the centre moved after the step
    assert method.embedding_backbone() is method.teacher.backbone
    assert set(method.state_dict()) == {"student", "teacher", "dino_loss"}


def test_dino_adds_the_weighted_koleo_term_of_the_high_res_features():
    cfg = tiny_cfg(koleo_weight=0.5)
    method = build("dino", n_local=2, cfg=cfg)
    plain = build("dino", n_local=2, cfg=tiny_cfg())
    batch = views(2)
    out, reference = method.step(batch, 0, 0), plain.step(batch, 0, 0)
    with torch.no_grad():
        features = method.student.backbone(torch.cat(batch[:2]))
    koleo = (koleo_loss(features[:4]) + koleo_loss(features[4:])) / 2
    assert out.stats["koleo"] == pytest.approx(koleo.item(), rel=1e-5)
    assert out.loss.item() == pytest.approx(reference.loss.item() + 0.5 * koleo.item(), rel=1e-5)
    assert "koleo" not in reference.stats


def test_views_a_method_consumes(tmp_path):
    policy = load_policy(REPO / "policies" / "dino.yaml")
    assert policy.n_local == 6
    # every built-in method can use low-res views; SimCLR's and BYOL's recipes leave them out
    assert SimCLR.adapt_policy(policy) is policy and BYOL.adapt_policy(policy) is policy
    assert DINO.adapt_policy(policy) is policy
    for preset in ("cpu", "paper"):
        assert TrainConfig.from_preset(preset, method="simclr").n_local == 0
        assert TrainConfig.from_preset(preset, method="byol").n_local == 0
    own = tmp_path / "multicrop.yaml"  # a user's preset, used as written: null keeps the policy's count
    own.write_text("method: simclr\narch: resnet18\nn_local: null\n")
    assert TrainConfig.from_preset(own).n_local is None


def test_simclr_multi_crop_averages_every_local_global_pair():
    method = build("simclr", n_local=2)
    batch = views(2)
    out = method.step(batch, 0, 0)
    with torch.no_grad():
        z = method.student(batch).chunk(4)
    temperature = method.options.temperature
    pairs = [(0, 1), (2, 0), (2, 1), (3, 0), (3, 1)]
    expected = sum(nt_xent_loss(z[a], z[b], temperature)[0].item() for a, b in pairs) / len(pairs)
    assert out.loss.item() == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():  # two views: the plain SimCLR loss (BatchNorm sees only these views)
        z1, z2 = method.student(batch[:2]).chunk(2)
    assert method.step(batch[:2], 0, 0).loss.item() == pytest.approx(nt_xent_loss(z1, z2, temperature)[0].item(), rel=1e-5)


def test_byol_multi_crop_adds_each_local_prediction_of_both_targets():
    method = build("byol", n_local=1)
    batch = views(1)
    out = method.step(batch, 0, 0)
    with torch.no_grad():
        p1, p2, p3 = method.student(batch).chunk(3)
        z1, z2 = method.teacher(batch[:2]).chunk(2)

    def nmse(p, z):
        return (F.normalize(p, dim=-1) - F.normalize(z, dim=-1)).pow(2).sum(-1).mean().item()

    expected = (nmse(p1, z2) + nmse(p2, z1) + nmse(p3, z1) + nmse(p3, z2)) / 2
    assert out.loss.item() == pytest.approx(expected, rel=1e-5)


# -- options ------------------------------------------------------------------------------------
class _Plain(Method):
    """A method without options of its own."""

    name = "plain"

    @classmethod
    def build(cls, setup):
        raise NotImplementedError

    def step(self, views, epoch, step):
        raise NotImplementedError


def test_options_errors_name_the_option_and_what_is_valid():
    assert SimCLR.parse_options({"temperature": 1}).temperature == 1.0
    with pytest.raises(MethodError, match=r"unknown option 'temprature' for method 'simclr' \(did you mean temperature\?\)"):
        SimCLR.parse_options({"temprature": 0.5})
    with pytest.raises(MethodError, match=r"simclr option temperature = 0.0 is not valid \(expected a number > 0\)"):
        SimCLR.parse_options({"temperature": 0})
    with pytest.raises(MethodError, match=r"proj_dim = 'big' is not valid \(expected int\)"):
        BYOL.parse_options({"proj_dim": "big"})
    with pytest.raises(MethodError, match="plain takes no options"):
        _Plain.parse_options({"temperature": 0.1})
    with pytest.raises(MethodError, match=r"unknown option 'teacher_tmp' for method 'dino' \(did you mean teacher_temp\?\)"):
        DINO.parse_options({"teacher_tmp": 0.1})
    with pytest.raises(MethodError, match=r"dino option koleo_weight = -1.0 is not valid \(expected a number >= 0"):
        DINO.parse_options({"koleo_weight": -1})
    assert set(SimCLR.default_options()) == {"temperature", "proj_hidden_dim", "proj_dim", "gather_negatives"}
    for method in (SimCLR, BYOL, DINO):  # every recipe names only real config fields and valid options
        for recipe in method.recipes.values():
            method.parse_options(recipe.get("method_options"))
            assert set(recipe) - {"method_options"} <= set(TrainConfig.field_names())


# -- registration and loading -------------------------------------------------------------------
def test_builtin_methods_are_registered_through_the_hook():
    methods = get_registry().methods
    assert {"dino", "simclr", "byol"} <= set(methods)
    assert methods["simclr"].target == "skill_train.methods.simclr:SimCLR"
    assert {methods[n].plugin for n in ("dino", "simclr", "byol")} == {"skill_train_methods"}
    assert load_method("simclr") is SimCLR and load_method("byol") is BYOL and load_method("dino") is DINO
    assert {"dino", "simclr", "byol"} <= set(method_names())


def test_skill_methods_json_lists_the_methods():
    from skill_train.cli import build_app

    result = CliRunner().invoke(build_app(), ["methods", "--json"])
    assert result.exit_code == 0, result.output
    methods = json.loads(result.output)["methods"]
    assert [m["name"] for m in methods if m["plugin"] == "skill_train_methods"] == ["dino", "simclr", "byol"]


class _BrokenMethods:
    @staticmethod
    @hookimpl
    def register_methods(register):
        register("vicreg", "skill_train.methods.no_such_module:VICReg", "missing module")
        register("notamethod", "skill_train.methods.registry:method_names", "a function, not a Method")


@pytest.fixture
def broken_registry():
    previous = get_registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        set_registry(build_registry([("broken", _BrokenMethods())]))
    yield
    set_registry(previous)


def test_unknown_and_broken_methods_are_one_line_errors(broken_registry):
    with pytest.raises(UnknownMethod, match=r"unknown method 'simclrr' \(did you mean simclr\?\)"):
        load_method("simclrr")
    with pytest.raises(MethodError, match=r"method 'vicreg' \(plugin 'broken'\): cannot import "
                                          r"skill_train.methods.no_such_module:VICReg \(ModuleNotFoundError"):
        load_method("vicreg")
    with pytest.raises(MethodError, match="is not a skill_train.methods.Method subclass"):
        load_method("notamethod")


def test_no_registered_methods_says_why(monkeypatch):
    previous = get_registry()
    set_registry(build_registry(load_entry_points=False))
    try:
        with pytest.raises(UnknownMethod, match="no methods are registered"):
            load_method("dino")
    finally:
        set_registry(previous)


class _MisspelledHook:
    @staticmethod
    @hookimpl
    def register_method(register):  # the hook is register_methods
        register("vicreg", "x:VICReg", "")


class _SecondDINO:
    @staticmethod
    @hookimpl
    def register_methods(register):
        register("dino", "skill_train.methods.simclr:SimCLR", "another dino")


def test_a_broken_method_plugin_is_disabled_and_a_clash_keeps_neither():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = build_registry([("typo", _MisspelledHook()), ("clash", _SecondDINO())])
    assert [f.name for f in registry.failures] == ["typo"]
    assert "register_method" in registry.failures[0].reason and any("'typo'" in str(w.message) for w in caught)
    assert {"simclr", "byol"} <= set(registry.methods)  # the other plugins still load
    assert "dino" not in registry.methods  # no silent winner
    previous = get_registry()
    set_registry(registry)
    try:
        with pytest.raises(MethodError, match=r"method 'dino' is registered by 2 plugins, so by none: plugin "
                                              r"'skill_train_methods' \(skill-aug 0\.1\.0\) and plugin 'clash' \(local\)"):
            load_method("dino")
        load_method("simclr")
    finally:
        set_registry(previous)


class _BracketsInItsError:
    @staticmethod
    @hookimpl
    def register_methods(register):
        raise RuntimeError("bad [/] tag [bold]")


def test_skill_methods_lists_a_disabled_plugin_with_its_reason_verbatim():
    from skill_train.cli import build_app

    previous = get_registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        set_registry(build_registry([("brackets", _BracketsInItsError())]))
    try:
        result = CliRunner().invoke(build_app(), ["methods"])
    finally:
        set_registry(previous)
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # the runner's console wraps at 80 columns
    assert "disabled brackets (local): register_methods raised RuntimeError: bad [/] tag [bold]" in shown
