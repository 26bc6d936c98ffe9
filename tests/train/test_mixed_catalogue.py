"""A catalogue of several product types: each product's policy comes from its category.

The marks: three in-test product types whose local set A_i paints every pixel one colour of
its own, under a global space with no ops (a crop of a flat image stays flat), so each view
says which type's pipeline made it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import albumentations as A
import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from skill_aug import ProductType, hookimpl
from skill_aug.catalog import Catalog
from skill_aug.catalog_policies import GLOBAL, CatalogPolicies, catalog_policies
from skill_aug.errors import CatalogError
from skill_aug.plugins import build_registry, get_registry, set_registry
from skill_aug.policy import policy_for_task
from skill_aug.spec import OpSpec
from skill_train.eval.transform import to_tensor
from skill_train.run.checkpoint import load_checkpoint
from skill_train.run.config import ConfigError, TrainConfig
from skill_train.train.data import resolve_policies
from skill_train.train.dataset import EpochSampler, ProductDataset
from skill_train.train.distributed import DistContext
from skill_train.train.loop import train

TINY_ARCH = {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2}
MARKS = {"red-thing": (220, 20, 20), "green-thing": (20, 200, 40), "blue-thing": (30, 40, 210)}
PATTERNS = ("stripes", "checks", "solid")


class Paint(A.ImageOnlyTransform):
    """Paints every pixel ``colour``: the mark a product type's local set leaves on its views."""

    def __init__(self, colour: tuple[int, int, int] = (0, 0, 0), p: float = 1.0):
        super().__init__(p=p)
        self.colour = tuple(int(c) for c in colour)

    def apply(self, img, **params):
        return np.broadcast_to(np.asarray(self.colour, np.uint8), img.shape).copy()

    def get_transform_init_args_names(self):
        return ("colour",)


class Marks:
    """Three product types, each painting its views its own colour (and an H that leaves a dot)."""

    @staticmethod
    @hookimpl
    def register_ops(register):
        register(Paint)

    @staticmethod
    @hookimpl
    def register_product_types(register):
        for name, colour in MARKS.items():
            register(ProductType(name, name, local_set=(OpSpec("Paint", {"colour": list(colour), "p": 1.0}),)))


@pytest.fixture
def marks():
    previous = get_registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        set_registry(build_registry([("marks", Marks())]))  # the installed types too
    yield
    set_registry(previous)


def _photo(pattern: str, shift: int, size: int = 40) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    mask = {"stripes": ((yy + shift) // 5) % 2, "checks": (((xx + shift) // 7) + (yy // 7)) % 2,
            "solid": np.ones((size, size), int)}[pattern]
    image = np.full((size, size, 3), 235, np.uint8)
    image[mask == 1] = (90, 60, 160)
    return image


def write_mixed(root: Path, categories: list[str]) -> Path:
    """One product per entry of ``categories`` (``""``: no category), 2 photos, pattern and design labels."""
    root.mkdir(parents=True)
    rows = ["product_id,category,pattern,design_id"]
    for i, category in enumerate(categories):
        folder = root / f"p{i:02d}"
        folder.mkdir()
        for k in range(2):
            Image.fromarray(_photo(PATTERNS[i % 3], 3 * k + i)).save(folder / f"{k}.png")
        rows.append(f"p{i:02d},{category},{PATTERNS[i % 3]},d{i // 2}")
    (root / "attributes.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture
def g_only(tmp_path) -> Path:
    """A global space with no ops: views are crops of the locally augmented photo, nothing more."""
    path = tmp_path / "plain-g.yaml"
    path.write_text("name: plain-g\nglobal_space:\n  high_res: {ops: [], per_view: []}\n"
                    "  low_res: {ops: [], per_view: []}\n")
    return path


def skill_train(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skill_train", "train", *args], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


def tiny(data: Path, out: Path, **changes) -> TrainConfig:
    values = dict(data=str(data), out=str(out), epochs=2, batch_size=6, arch="vit_tiny_patch16_224",
                  arch_overrides=TINY_ARCH, high_res_size=32, low_res_size=16, n_local=2, out_dim=32,
                  head_hidden_dim=32, head_bottleneck_dim=16, workers=0, threads=1, warmup_epochs=1, eval_every=0)
    values.update(changes)
    return TrainConfig.from_preset("cpu", **values)


def test_each_products_views_come_from_its_own_types_pipeline(marks, g_only, tmp_path):
    types = list(MARKS)
    root = write_mixed(tmp_path / "mixed", [types[i % 3] for i in range(9)])
    cfg = tiny(root, tmp_path / "run", policy=str(g_only))
    catalog = Catalog.open(root)
    policies = resolve_policies(cfg, catalog)
    assert sorted(policies.policies) == sorted(types) and policies.for_index(0) is policies.for_index(3)  # one per type
    for policy in policies.policies.values():  # the G-only --policy is the G every type shares, at the run's sizes
        assert policy.sources["global_space"].startswith(str(g_only)) and policy.high_res_size == 32
    dataset = ProductDataset(catalog, policies, seed=0)
    for i in range(len(dataset)):
        item = dataset[i]
        colour = MARKS[types[i % 3]]
        for view in item["global"] + item["local"]:
            expected = to_tensor(np.full((view.shape[1], view.shape[2], 3), colour, np.uint8))
            assert torch.allclose(view, expected, atol=1e-5), (i, types[i % 3])


def test_a_mixed_synthetic_catalogue_of_three_types_trains_and_records_them(tmp_path):
    from skill_aug.synth import write_catalog

    root = tmp_path / "mixed"
    write_catalog("dress,shirt,shoes", products=24, out=root, size=48, photos_min=2, photos_max=2)
    run = train(tiny(root, tmp_path / "run", max_steps=2))
    record = yaml.safe_load((run / "policy.yaml").read_text())
    assert record["category_column"] == "category"
    assert {c: e["products"] for c, e in record["categories"].items()} == {"dress": 8, "shirt": 8, "shoes": 8}
    for name in ("dress", "shirt", "shoes"):
        assert record["categories"][name]["policy"] == name
        assert record["categories"][name]["local_set_from"].startswith(f"plugin {name} ")
        assert record["policies"][name]["task"] == name
        assert record["policies"][name]["local_set"] == policy_for_task(name).to_document()["local_set"]
        assert record["policies"][name]["global_space"]["high_res"]["size"] == 32
    saved = TrainConfig.from_yaml(run / "config.yaml")
    assert saved.category_column == "category" and saved.unknown_category == "error"
    # the run's record gives each product its own H back (what eval embeds with)
    from skill_train.eval.embed import Preprocess, load_run

    loaded = load_run(run)
    assert isinstance(loaded.preprocess, Preprocess) and loaded.policy_name == "mixed"
    shoe = next(p for p in Catalog.open(root) if p.attributes["category"] == "shoes")
    assert loaded.preprocess.policy_of(shoe).task == "shoes"


def test_unknown_categories_are_one_error_and_each_choice_works(marks, tmp_path):
    root = write_mixed(tmp_path / "mixed", ["red-thing"] * 6 + ["rug"] * 3 + [""] * 3)
    catalog = Catalog.open(root)
    with pytest.raises(CatalogError) as caught:
        catalog_policies(catalog)
    message = str(caught.value)
    assert "\n" not in message
    assert "no installed product type for 2 categories of 'category': (none) (3), rug (3)" in message
    assert "installed: blue-thing, curtains, dress" in message
    for choice in ("--category-map rug=TYPE", "--unknown-category global", "--unknown-category skip"):
        assert choice in message

    result = skill_train(tmp_path, "--data", str(root), "--out", str(tmp_path / "run"), "--max-steps", "1")
    (line,) = result.stderr.strip().splitlines()
    assert result.returncode != 0 and line.startswith("error: ") and "(none) (3), rug (3)" in line
    assert not (tmp_path / "run").exists()

    mapped = catalog_policies(catalog, category_map={"rug": "green-thing", "(none)": "blue-thing"})
    assert [mapped.name_of(i) for i in (0, 6, 9)] == ["red-thing", "green-thing", "blue-thing"]
    assert mapped.categories == {"red-thing": "red-thing", "rug": "green-thing", "(none)": "blue-thing"}

    as_global = catalog_policies(catalog, unknown_category="global")
    glob = as_global.for_index(6)
    assert as_global.name_of(9) == GLOBAL and not glob.spec.local_set and not glob.spec.preprocess
    assert glob.spec.global_space == as_global.for_index(0).spec.global_space  # G is shared

    skipped = catalog_policies(catalog, unknown_category="skip")
    assert skipped.kept == list(range(6)) and skipped.skipped == 6 and list(skipped.policies) == ["red-thing"]
    with pytest.raises(CatalogError, match=r"--category-map rug=carpet: unknown product type 'carpet'"):
        catalog_policies(catalog, category_map={"rug": "carpet"})


def test_skip_leaves_the_products_out_of_training_and_global_trains_them(marks, g_only, tmp_path):
    from skill_train.train.data import prepare_data

    root = write_mixed(tmp_path / "mixed", ["red-thing"] * 12 + ["rug"] * 6)
    ctx = DistContext(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    data = prepare_data(tiny(root, tmp_path / "run", unknown_category="skip", eval_holdout=0.0), ctx)
    assert len(data.catalog) == 12 and all(p.attributes["category"] == "red-thing" for p in data.catalog)
    data = prepare_data(tiny(root, tmp_path / "run", unknown_category="global", eval_holdout=0.0,
                             policy=str(g_only)), ctx)
    assert len(data.dataset) == 18
    item = data.dataset[15]  # a rug: G only, so not painted
    painted = to_tensor(np.full((32, 32, 3), MARKS["red-thing"], np.uint8))
    assert not torch.allclose(item["global"][0], painted) and torch.allclose(data.dataset[0]["global"][0], painted)


def test_policies_of_one_run_must_share_view_sizes():
    small = policy_for_task("dress").with_view_sizes(high=32, low=16)
    large = policy_for_task("shirt").with_view_sizes(high=64, low=16)
    with pytest.raises(CatalogError, match=r"share view sizes and counts .*dress has 2×32px \+ 6×16px views, "
                                           r"shirt has 2×64px"):
        CatalogPolicies({"dress": small, "shirt": large}, {"dress": "dress", "shirt": "shirt"}, ("dress", "shirt"))


def test_resume_on_a_mixed_catalogue_gives_the_same_losses(marks, tmp_path):
    root = write_mixed(tmp_path / "mixed", [list(MARKS)[i % 3] for i in range(18)])
    whole = train(tiny(root, tmp_path / "whole", drop_path_rate=0.1, balance_categories=True))
    cfg = tiny(root, tmp_path / "resumed", drop_path_rate=0.1, balance_categories=True)
    train(cfg.replace(max_steps=1))
    train(cfg.replace(resume=True))

    def losses(run: Path) -> list[float]:
        return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]

    assert len(losses(whole)) >= 4 and losses(tmp_path / "resumed") == losses(whole)
    a, b = load_checkpoint(whole), load_checkpoint(tmp_path / "resumed")
    assert all(torch.equal(a["teacher"][k], b["teacher"][k]) for k in a["teacher"])
    assert TrainConfig.from_yaml(tmp_path / "resumed" / "config.yaml").balance_categories is True


def test_balance_categories_draws_every_category_equally_often():
    labels = ["big"] * 40 + ["small"] * 8
    sampler = EpochSampler(48, batch_size=8, seed=3, groups=labels)
    drawn = sampler.rank_indices()
    assert len(drawn) == 48
    assert sum(labels[i] == "small" for i in drawn) == 24  # 8 products, each drawn 3 times
    assert sorted(i for i in drawn if labels[i] == "small") == sorted(list(range(40, 48)) * 3)
    assert len(set(i for i in drawn if labels[i] == "big")) == 24  # no big product twice before all are seen
    again = EpochSampler(48, batch_size=8, seed=3, groups=labels)
    assert again.rank_indices() == drawn  # the order depends only on (seed, epoch)
    again.set_epoch(1)
    assert again.rank_indices() != drawn
    ranks = [EpochSampler(48, 4, seed=3, rank=r, world_size=2, groups=labels).rank_indices() for r in (0, 1)]
    assert sorted(ranks[0] + ranks[1]) == sorted(drawn)


def test_category_flags_are_config_fields_and_checked():
    from rich.console import Console

    from skill_aug.errors import SkillAugError
    from skill_train.cli import train as cli_train

    options = {**{k: None for k in ("task", "data", "policy", "preset", "epochs", "batch_size", "lr", "workers",
                                    "seed", "out", "resume", "max_steps", "device", "init")},
               "task": "dress", "category_column": "kind", "category_map": ["rug=wall-art", "mat=wall-art"],
               "unknown_category": "skip", "balance_categories": True}
    quiet = Console(file=open("/dev/null", "w"))
    for change, line in (({"unknown_category": "maybe"},
                          "--unknown-category maybe: not valid (expected one of error, global, skip)"),
                         ({"category_map": ["rug"]}, "--category-map 'rug': expected CATEGORY=TYPE (e.g. rug=wall-art)")):
        with pytest.raises(SkillAugError) as caught:
            cli_train.build_config({**options, **change}, quiet)
        assert str(caught.value) == line
    cfg = cli_train.build_config(options, quiet)
    assert (cfg.category_column, cfg.category_map, cfg.unknown_category, cfg.balance_categories) == \
        ("kind", {"rug": "wall-art", "mat": "wall-art"}, "skip", True)
    assert TrainConfig.from_dict(yaml.safe_load(cfg.to_yaml())) == cfg
    args = cli_train._torchrun_args(options)
    assert args.count("--category-map") == 2 and "--balance-categories" in args
    with pytest.raises(ConfigError, match=r"category_map = .* is not valid"):
        cfg.replace(category_map={"rug": 3})
