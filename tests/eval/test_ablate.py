"""`skill ablate`: the ablated policies of any product type (a third party's included), the ranking
and its intervals on constructed numbers, reuse of finished runs, and bad input as one line.
Training is real (the tiny preset); the evaluation is a stand-in with known figures per (row, seed)."""

import json
import math
import shutil
import warnings
from pathlib import Path

import pytest
import torch
import typer
import yaml
from typer.testing import CliRunner

from skill_aug import ProductType, hookimpl, load_policy, policy_for_task
from skill_aug.plugins import build_registry, get_registry, set_registry
from skill_aug.spec import OpSpec
from skill_aug.synth import write_catalog
from skill_train.cli import ablate as cli_ablate
from skill_train.compare import runs as compare_runs
from skill_train.compare.ablation import ablate, ablation_rows, ranking, ablations_of
from skill_train.eval.errors import EvaluationError

from test_compare_search import TINY

TRANSPOSE, FLIP = OpSpec("Transpose", {"p": 0.5}), OpSpec("HorizontalFlip", {"p": 0.5})


class ThirdParty:
    """A plugin object with three product types: two ops of one class in A_i and one op in H; two
    ops in A_i and no H; nothing at all."""

    @staticmethod
    @hookimpl
    def register_product_types(register):
        register(ProductType("rug", "Rugs", local_set=(TRANSPOSE, FLIP, OpSpec("Transpose", {"p": 0.2})),
                             preprocess=(OpSpec("ToGray", {"p": 1.0}),)))
        register(ProductType("mat", "Mats", local_set=(TRANSPOSE, FLIP)))
        register(ProductType("blank", "Nothing to ablate"))


@pytest.fixture(scope="module")
def third_party():
    previous = get_registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        set_registry(build_registry([("third-party", ThirdParty())]))
    yield
    set_registry(previous)


def without(document: dict, stage: str, removed: set[int]) -> dict:
    """``document`` with the ops at ``removed`` of ``stage`` left out, and no name."""
    return {**document, stage: [op for i, op in enumerate(document[stage]) if i not in removed], "name": None}


def check_written(task: str, out: Path) -> list:
    """Every ablation row's policy: kept in OUT/policies, extends the task, and is the full policy
    less exactly the removed ops; returns the ablations."""
    rows, ablations = ablation_rows(task, out)
    full = policy_for_task(task).to_document()
    assert rows[0].name == "skill" and rows[0].policy is None
    assert len({r.name for r in rows}) == len(rows)
    for row, ablation in zip(rows[1:], ablations):
        path = Path(row.policy)
        assert path.parent == (out / "policies").resolve() and path.stem == ablation.policy_name(task)
        assert yaml.safe_load(path.read_text())["extends"] == task
        got = load_policy(path).to_document()
        assert got["name"] == path.stem
        assert {**got, "name": None} == without(full, ablation.stage, set(ablation.removed))
        assert [next(iter(full[ablation.stage][i])) for i in ablation.removed] == list(ablation.ops)
    return ablations


def test_dress_has_one_policy_per_op_and_per_stage(tmp_path):
    ablations = check_written("dress", tmp_path)
    spec = policy_for_task("dress").spec
    per_op = [a for a in ablations if len(a.removed) == 1]
    assert [a.ops[0] for a in per_op] == [op.name for op in spec.local_set + spec.preprocess]
    assert [a.name for a in ablations if len(a.removed) > 1] == ["skill-no-local", "skill-no-preprocess"]
    assert (tmp_path / "policies" / "dress-without-GridDistortion.yaml").is_file()


def test_a_third_party_type_keeps_two_ops_of_one_class_apart(tmp_path, third_party):
    ablations = check_written("rug", tmp_path)
    assert [(a.name, a.removed) for a in ablations] == [
        ("skill-without-local-1-Transpose", (0,)), ("skill-without-HorizontalFlip", (1,)),
        ("skill-without-local-3-Transpose", (2,)), ("skill-no-local", (0, 1, 2)),
        ("skill-no-preprocess", (0,)),  # a one-op H: removing its op is removing H, trained once
    ]
    assert ablations[0].label == "without Transpose (A_i #1)" and ablations[-1].label == "no preprocessing H (= without ToGray)"


@pytest.mark.parametrize("only, rows", [
    (["Transpose"], ["skill-without-local-1-Transpose", "skill-without-local-3-Transpose"]),
    (["local-3-Transpose"], ["skill-without-local-3-Transpose"]),
    (["local", "HorizontalFlip"], ["skill-without-HorizontalFlip", "skill-no-local"]),
    (["ToGray"], ["skill-no-preprocess"]),  # a one-op stage answers to its op's class
    (["preprocess"], ["skill-no-preprocess"]),
])
def test_only_picks_the_named_ablations_and_writes_only_their_policies(tmp_path, third_party, only, rows):
    got, ablations = ablation_rows("rug", tmp_path, only)
    assert [r.name for r in got] == ["skill", *rows] and [a.name for a in ablations] == rows
    assert len(list((tmp_path / "policies").iterdir())) == len(rows)


# --- the ranking on constructed numbers ----------------------------------------------------------


def evaluation(linear: float, knn: float, r1: float | None = None) -> dict:
    result = {"attributes": {"pattern": {"linear": {"accuracy": linear}, "knn": {"accuracy": knn}}}}
    return result if r1 is None else {**result, "retrieval": {"r@1": r1, "map": r1}}


def row(name: str, *evals: dict) -> dict:
    return {"name": name, "policy": f"{name}.yaml", "runs": [{"seed": s, "eval": e} for s, e in enumerate(evals)]}


def test_the_ranking_is_full_minus_without_with_a_paired_interval():
    ablations = ablations_of("mat", type("Spec", (), {"local_set": (TRANSPOSE, FLIP), "preprocess": ()})())
    rows = [row("skill", evaluation(0.50, 0.40, 0.30), evaluation(0.60, 0.45, 0.35), evaluation(0.70, 0.50, 0.40)),
            # Transpose costs: without it, linear is higher by 1, 2, 3 points
            row("skill-without-Transpose", evaluation(0.51, 0.40, 0.30), evaluation(0.62, 0.45, 0.35), evaluation(0.73, 0.50, 0.40)),
            # the flip buys 10 points linear every seed (no spread: the interval is the point)
            row("skill-without-HorizontalFlip", evaluation(0.40, 0.30), evaluation(0.50, 0.35), evaluation(0.60, 0.40)),
            row("skill-no-local", evaluation(0.45, 0.40), evaluation(0.55, 0.45), evaluation(0.65, 0.50))]
    report = ranking(rows, ablations, "pattern")
    assert report["ranked_by"] == "attributes/pattern/linear/accuracy"
    assert list(report["metrics"]) == ["attributes/pattern/linear/accuracy", "attributes/pattern/knn/accuracy", "retrieval/r@1"]
    assert [e["name"] for e in report["ranking"]] == ["skill-without-HorizontalFlip", "skill-no-local", "skill-without-Transpose"]
    flip, local, transpose = report["ranking"]
    assert flip["metrics"]["attributes/pattern/linear/accuracy"] == pytest.approx(
        {"mean": 0.10, "low": 0.10, "high": 0.10, "n": 3, "confidence": 0.95})
    # differences −0.01, −0.02, −0.03: mean −0.02, sd 0.01, half width t(0.975, 2) · 0.01 / √3
    d = transpose["metrics"]["attributes/pattern/linear/accuracy"]
    half = 4.302653 * 0.01 / math.sqrt(3)
    assert d["mean"] == pytest.approx(-0.02) and (d["low"], d["high"]) == pytest.approx((-0.02 - half, -0.02 + half))
    # retrieval only where both sides have it
    assert transpose["metrics"]["retrieval/r@1"]["mean"] == pytest.approx(0.0)
    assert flip["metrics"]["retrieval/r@1"] == {"mean": None, "low": None, "high": None, "n": 0, "confidence": 0.95}
    assert local["ops"] == ["Transpose", "HorizontalFlip"] and local["positions"] == [1, 2]


def test_one_seed_has_no_interval_and_no_retrieval_column_without_retrieval():
    ablations = ablations_of("mat", type("Spec", (), {"local_set": (TRANSPOSE, FLIP), "preprocess": ()})())
    rows = [row("skill", evaluation(0.5, 0.4)), row("skill-without-Transpose", evaluation(0.4, 0.4)),
            row("skill-without-HorizontalFlip", evaluation(0.45, 0.3)), row("skill-no-local", evaluation(0.3, 0.2))]
    report = ranking(rows, ablations, "pattern")
    assert "retrieval/r@1" not in report["metrics"]
    top = report["ranking"][0]
    assert top["name"] == "skill-no-local"
    assert top["metrics"]["attributes/pattern/linear/accuracy"] == pytest.approx(
        {"mean": 0.2, "low": None, "high": None, "n": 1, "confidence": 0.95})


# --- skill ablate end to end: real tiny training, stand-in evaluation -----------------------------

#: the pattern linear accuracy of each row (k-NN 0.1 lower, R@1 = linear)
LINEAR = {"skill": 0.50, "skill-without-Transpose": 0.45, "skill-without-HorizontalFlip": 0.52, "skill-no-local": 0.30}


def fake_evaluate(table, catalog, settings):
    """Known figures per row, read from the run folder the embeddings came from."""
    acc = LINEAR[Path(table.meta["run"]).parent.name]
    probe = {"accuracy": acc, "r@90": acc, "r@95": acc}
    return {"settings": settings.to_json(),
            "attributes": {"pattern": {"linear": probe, "nonlinear": probe, "knn": {"accuracy": acc - 0.1}}},
            "color_entropy": {"k": 4, "value": 1.0, "normalized": 0.5, "sweep": {}, "color_source": "attribute 'color'"},
            "retrieval": {"r@1": acc, "map": acc}}


@pytest.fixture(scope="module")
def ablated(tmp_path_factory, third_party):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("ablate")
    write_catalog("dress", products=40, out=root / "data", seed=1, size=64)
    preset = root / "tiny.yaml"
    preset.write_text(yaml.safe_dump(TINY))
    patch = pytest.MonkeyPatch()
    patch.setattr(compare_runs, "evaluate", fake_evaluate)

    def run():
        return ablate("mat", root / "out", seeds=[0], attributes=("pattern",), log=lambda _: None,
                      data=str(root / "data"), preset=str(preset), device="cpu")

    yield root, run, run()
    patch.undo()


def test_ablate_trains_every_row_and_writes_the_ranking(ablated):
    root, _, report = ablated
    out = root / "out"
    assert [e["name"] for e in report["ranking"]] == ["skill-no-local", "skill-without-Transpose", "skill-without-HorizontalFlip"]
    top = report["ranking"][0]["metrics"]
    assert top["attributes/pattern/linear/accuracy"]["mean"] == pytest.approx(0.20)
    assert top["retrieval/r@1"]["low"] is None  # one seed: no interval
    for name in LINEAR:
        assert (out / name / "seed-0" / "backbone.safetensors").is_file()
    saved = json.loads((out / "ablation.json").read_text())
    assert saved["ranking"] == json.loads(json.dumps(report["ranking"]))
    md = (out / "ablation.md").read_text()
    assert "| 1 | no local set A_i | +20.00 [n/a] | +20.00 [n/a] | +20.00 [n/a] | 1 |" in md
    assert "| 3 | without HorizontalFlip (A_i) | -2.00 [n/a]" in md
    assert "| | SkiLL (full policy, mean ± sd) | 50.00 | 40.00 | 50.00 | 1 |" in md.replace("|  |", "| |")
    assert (out / "ablation.png").stat().st_size > 1000 and (out / "comparison.json").is_file()
    assert sorted(p.name for p in (out / "policies").iterdir()) == [
        "mat-no-local.yaml", "mat-without-HorizontalFlip.yaml", "mat-without-Transpose.yaml"]


def test_a_second_ablate_trains_nothing(ablated, monkeypatch):
    root, run, _ = ablated
    mtimes = {p: p.stat().st_mtime for p in (root / "out").glob("*/seed-*/backbone.safetensors")}
    assert len(mtimes) == 4

    def no_training(cfg):
        raise AssertionError(f"trained {cfg.out} again")

    monkeypatch.setattr("skill_train.train.loop.train", no_training)
    again = run()
    compared = json.loads((root / "out" / "comparison.json").read_text())
    assert [r["action"] for row in compared["rows"] for r in row["runs"]] == ["reused"] * 4
    assert {p: p.stat().st_mtime for p in mtimes} == mtimes
    assert [e["name"] for e in again["ranking"]][0] == "skill-no-local"


def test_only_one_op_reuses_the_full_runs_and_ranks_that_op_alone(ablated, tmp_path, monkeypatch):
    root, _, _ = ablated
    shutil.copytree(root / "out", tmp_path / "out")

    def no_training(cfg):
        raise AssertionError(f"trained {cfg.out} again")

    monkeypatch.setattr("skill_train.train.loop.train", no_training)
    report = ablate("mat", tmp_path / "out", seeds=[0], attributes=("pattern",), log=lambda _: None, only=["HorizontalFlip"],
                    data=str(root / "data"), preset=str(root / "tiny.yaml"), device="cpu")
    assert [e["name"] for e in report["ranking"]] == ["skill-without-HorizontalFlip"]
    assert report["ranking"][0]["metrics"]["attributes/pattern/linear/accuracy"]["mean"] == pytest.approx(-0.02)


# --- bad input: one line, nothing written -------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--task", "dres"], "--task 'dres': unknown product type 'dres'"),
    (["--task", "blank"], "--task 'blank': its local set A_i and its preprocessing H are both empty; there is nothing to ablate"),
    (["--task", "mat", "--seeds", "1,1"], "--seeds '1,1': a seed is repeated"),
    (["--task", "mat", "--only", "RegionCrop"],
     "--only 'RegionCrop': the mat policy has no such op or stage; choose from Transpose, HorizontalFlip, local"),
])
def test_bad_input_is_one_line_and_trains_nothing(tmp_path, third_party, args, message):
    app = typer.Typer()
    cli_ablate.register(app)
    app.command("unused")(lambda: None)  # a second command keeps `ablate` a subcommand
    result = CliRunner().invoke(app, ["ablate", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code != 0 and isinstance(result.exception, EvaluationError), result.output
    assert str(result.exception).startswith(message) and "\n" not in str(result.exception)
    assert not (tmp_path / "out").exists()
