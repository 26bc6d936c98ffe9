"""`skill compare --seeds`: the statistics on known numbers, one run folder per (row, seed), reuse,
the report's mean ± sd and paired intervals. Training is real (the tiny preset); the evaluation is
a stand-in with known figures per (row, seed), so the report's numbers can be checked exactly."""

import json
import math
from pathlib import Path

import pytest
import torch
import typer
import yaml
from typer.testing import CliRunner

from skill_aug.synth import write_catalog
from skill_train.cli import eval as cli_eval
from skill_train.compare import runs as compare_runs
from skill_train.compare.report import difference, mean_sd, seeded_markdown
from skill_train.compare.rows import RowSpec, standard_rows
from skill_train.compare.runs import compare
from skill_train.compare.seeds import claim_differences, metrics_of, parse_seeds, retrieval_agreement, row_figures
from skill_train.compare.stats import paired_difference, rank_agreement, spread
from skill_train.eval.errors import EvaluationError

from test_compare_search import TINY

# --- statistics on constructed numbers --------------------------------------------------------------


def test_spread_is_mean_and_sample_sd():
    s = spread([0.30, 0.34, 0.38, None, float("nan")])
    assert s.n == 3 and s.mean == pytest.approx(0.34) and s.sd == pytest.approx(0.04)
    one = spread([0.5])
    assert (one.mean, one.sd, one.n) == (0.5, None, 1)
    assert spread([None]).n == 0


def test_paired_difference_has_the_student_t_interval():
    # differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302653 → half width 4.302653 / √3 = 2.484138
    d = paired_difference([11.0, 12.0, 13.0, 5.0], [10.0, 10.0, 10.0, None])
    assert d.n == 3 and d.mean == pytest.approx(2.0)
    assert d.low == pytest.approx(2.0 - 2.484138, abs=1e-6) and d.high == pytest.approx(2.0 + 2.484138, abs=1e-6)
    # equal differences: no spread, the interval is the point
    same = paired_difference([3.0, 4.0], [1.0, 2.0])
    assert (same.mean, same.low, same.high) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="one value per seed"):
        paired_difference([1.0], [1.0, 2.0])


def test_one_seed_has_no_interval():
    d = paired_difference([0.4], [0.3])
    assert d.n == 1 and d.mean == pytest.approx(0.1) and d.low is None and d.high is None
    assert difference(d.to_json(), "fraction") == "+10.00 [n/a]"
    assert mean_sd(spread([0.4]).to_json(), "fraction", runs=1) == "40.00"


@pytest.mark.parametrize("text, message", [("0", "a count in"), ("a,b", "a count in"), ("1,1", "repeated"),
                                           ("5,", "a count in"), ("-2", "a count in"), ("101", "a count in")])
def test_bad_seeds_are_one_line_naming_the_flag(text, message):
    with pytest.raises(EvaluationError, match=message) as err:
        parse_seeds(text)
    assert str(err.value).startswith("--seeds ") and "\n" not in str(err.value)


def test_seeds_are_a_count_or_a_list():
    assert parse_seeds("3") == [0, 1, 2] and parse_seeds("4, 7") == [4, 7] and parse_seeds("1") == [0]


# --- compare over seeds: real tiny training, stand-in evaluation ---------------------------------

#: per row, the pattern linear accuracy at seed s is BASE + STEP * s (SkiLL's gain over DINO grows with the seed)
BASE = {"dino": 0.30, "skill": 0.40}
STEP = {"dino": 0.02, "skill": 0.05}


def fake_evaluate(table, catalog, settings):
    """Known figures per (row, seed), read from the run folder the embeddings came from."""
    run = Path(table.meta["run"])
    row, seed = run.parent.name, int(run.name.removeprefix("seed-"))
    assert seed == settings.seed  # every row of a seed is scored on that seed's split
    acc = BASE[row] + STEP[row] * seed
    probe = {"accuracy": acc, "r@90": acc / 2, "r@95": acc / 4}
    return {
        "settings": settings.to_json(),
        "attributes": {"pattern": {"linear": probe, "nonlinear": probe, "knn": {"accuracy": acc - 0.1}}},
        "color_entropy": {"k": 13, "value": 1.0 + seed, "normalized": 0.5, "sweep": {}, "color_source": "attribute 'color'"},
        "retrieval": {"r@1": acc, "map": acc},
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("cmp-seeds")
    write_catalog("dress", products=40, out=root / "data", seed=1, size=64)
    preset = root / "tiny.yaml"
    preset.write_text(yaml.safe_dump(TINY))
    dino = next(r for r in standard_rows("dress", root / "out") if r.name == "dino")
    rows = [dino, RowSpec("skill", "SkiLL")]
    patch = pytest.MonkeyPatch()
    patch.setattr(compare_runs, "evaluate", fake_evaluate)

    def run(**kwargs):
        return compare("dress", root / "out", data=str(root / "data"), preset=str(preset), rows=rows,
                       attributes=("pattern",), device="cpu", log=lambda _: None, **kwargs)

    yield root, run, run(seeds=[0, 1])
    patch.undo()


def test_two_seeds_make_two_run_folders_per_row_and_a_mean_sd_report(seeded):
    root, _, report = seeded
    out = root / "out"
    for name in ("dino", "skill"):
        configs = [yaml.safe_load((out / name / f"seed-{s}" / "config.yaml").read_text()) for s in (0, 1)]
        assert [c["seed"] for c in configs] == [0, 1]
        assert not (out / name / "config.yaml").exists()  # the single-seed folder is left alone
    skill = next(r for r in report["rows"] if r["name"] == "skill")
    assert [(run["seed"], run["action"]) for run in skill["runs"]] == [(0, "trained"), (1, "trained")]
    acc = skill["over_seeds"]["attributes/pattern/linear/accuracy"]
    assert acc["n"] == 2 and acc["mean"] == pytest.approx(0.425) and acc["sd"] == pytest.approx(0.05 / math.sqrt(2))
    assert skill["over_seeds"]["retrieval/r@1"]["mean"] == pytest.approx(0.425)  # present, so reported
    (diff,) = report["differences"]  # only SkiLL − DINO: the ablation rows were not asked for
    assert diff["label"] == "SkiLL − DINO" and diff["seeds"] == [0, 1]
    d = diff["metrics"]["attributes/pattern/linear/accuracy"]  # differences 0.10 and 0.13
    half = 12.706205 * 0.03 / math.sqrt(2) / math.sqrt(2)  # t(0.975, 1) · sd / √n, sd = 0.03 / √2
    assert d["mean"] == pytest.approx(0.115) and d["high"] - d["mean"] == pytest.approx(half, rel=1e-5)
    saved = json.loads((out / "comparison.json").read_text())
    assert saved["seeds"] == [0, 1] and "seed" not in saved["budget"]
    md = (out / "comparison.md").read_text()
    assert "| SkiLL | 42.50 ± 3.54 |" in md and "| SkiLL − DINO | +11.50 [" in md
    assert "R@1" in md and "H(C\\|K)/H(C)" in md
    assert [e["rho"] for e in saved["retrieval_agreement"]] == [None, None, None, None]  # two rows rank nothing
    assert (out / "color_entropy.png").is_file() and (out / "map.png").is_file()


def test_a_second_seeded_compare_trains_nothing(seeded, monkeypatch):
    root, run, _ = seeded
    mtimes = {p: p.stat().st_mtime for p in (root / "out").glob("*/seed-*/backbone.safetensors")}
    assert len(mtimes) == 4
    # a run watched more or less often during training (eval_every) learned the same: still reused
    saved = root / "out" / "skill" / "seed-0" / "config.yaml"
    saved.write_text(yaml.safe_dump({**yaml.safe_load(saved.read_text()), "eval_every": 3}))

    def no_training(cfg):
        raise AssertionError(f"trained {cfg.out} again")

    monkeypatch.setattr("skill_train.train.loop.train", no_training)
    again = run(seeds=[0, 1])
    assert [run["action"] for row in again["rows"] for run in row["runs"]] == ["reused"] * 4
    assert {p: p.stat().st_mtime for p in mtimes} == mtimes
    # a third seed trains only its own pairs, reusing the two finished seeds
    monkeypatch.undo()
    more = run(seeds=[0, 1, 2])
    assert [run["action"] for row in more["rows"] for run in row["runs"]] == ["reused", "reused", "trained"] * 2
    assert more["differences"][0]["metrics"]["attributes/pattern/linear/accuracy"]["n"] == 3


def test_claim_pairs_are_those_whose_rows_are_present():
    def row(name, label, accs):
        return {"name": name, "label": label, "runs": [
            {"seed": s, "eval": {"settings": {"probes": ["linear"], "precisions": []},
                                 "attributes": {"pattern": {"linear": {"accuracy": a}}}}} for s, a in enumerate(accs)]}

    rows = [row("skill", "SkiLL", [0.5, 0.6]), row("skill-no-local", "SkiLL\\L", [0.4, 0.4]), row("random-init", "r", [0.1, 0.1])]
    metrics = metrics_of([run["eval"] for r in rows for run in r["runs"]])
    assert [m.key for m in metrics] == ["attributes/pattern/linear/accuracy"]  # no retrieval entry: not a figure
    (diff,) = claim_differences(rows, metrics)
    assert (diff["a"], diff["b"]) == ("skill", "skill-no-local")
    assert diff["metrics"]["attributes/pattern/linear/accuracy"]["mean"] == pytest.approx(0.15)


def test_rank_agreement_is_spearmans_rho_over_the_rows_with_both_figures():
    # one swapped neighbour among four: rho = 1 − 6·Σd² / (n(n² − 1)) = 1 − 6·2 / 60
    assert rank_agreement([0.1, 0.2, 0.3, 0.4], [1.0, 3.0, 2.0, 4.0]).rho == pytest.approx(0.8)
    assert rank_agreement([0.1, 0.2, 0.3], [0.9, 0.5, 0.1]).rho == pytest.approx(-1.0)
    # a missing figure drops its row; fewer than three rows, or a constant figure, rank nothing
    assert rank_agreement([0.1, None, 0.2, 0.3], [0.2, 0.9, 0.3, 0.4]) == rank_agreement([0.1, 0.2, 0.3], [0.2, 0.3, 0.4])
    assert rank_agreement([0.1, 0.2], [0.3, 0.4]).rho is None
    assert rank_agreement([0.1, 0.2, 0.3], [0.5, 0.5, 0.5]).rho is None


def test_retrieval_agreement_ranks_rows_by_their_means_and_is_reported():
    def row(name, pairs):  # (pattern k-NN, R@1) per seed
        return {"name": name, "label": name.upper(), "runs": [
            {"seed": s, "eval": {"settings": {"probes": [], "precisions": []},
                                 "attributes": {"pattern": {"knn": {"accuracy": knn}}}, "retrieval": {"r@1": r1}}}
            for s, (knn, r1) in enumerate(pairs)]}

    # retrieval orders the rows as pattern does except the last two, whose means swap
    rows = [row("a", [(0.1, 0.2), (0.2, 0.3)]), row("b", [(0.3, 0.4), (0.3, 0.4)]),
            row("c", [(0.5, 0.7), (0.5, 0.6)]), row("d", [(0.6, 0.5), (0.7, 0.5)])]
    metrics = metrics_of([run["eval"] for r in rows for run in r["runs"]])
    for r in rows:
        r["over_seeds"] = row_figures(r["runs"], metrics)
    (entry,) = retrieval_agreement(rows, metrics)
    assert (entry["retrieval"], entry["attribute"]) == ("retrieval/r@1", "attributes/pattern/knn/accuracy")
    assert entry["rho"] == pytest.approx(0.8) and entry["n"] == 4
    report = {"seeds": [0, 1], "figures_seed": 0, "rows": rows, "differences": [],
              "metrics": {m.key: {"group": m.group, "label": m.label, "unit": m.unit} for m in metrics},
              "retrieval_agreement": [entry]}
    assert "| R@1 vs pattern k-NN Acc | +0.80 | 4 |" in seeded_markdown(report)


def test_seeds_on_the_command_line_are_checked_before_anything_runs(tmp_path):
    app = typer.Typer()
    cli_eval.register(app)
    for args, message in ((["--seeds", "1,1"], "--seeds '1,1': a seed is repeated"),
                          (["--seeds", "3", "--seed", "2"], "--seed and --seeds: give one")):
        result = CliRunner().invoke(app, ["compare", "--task", "shirt", "--out", str(tmp_path), *args])
        assert result.exit_code != 0 and isinstance(result.exception, EvaluationError)
        assert message in str(result.exception)
    assert not any(tmp_path.iterdir())  # nothing was trained
