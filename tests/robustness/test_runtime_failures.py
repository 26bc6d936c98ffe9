"""Failures that only show once work runs: an op failing inside a DataLoader worker, absurd
counts given on the command line. (A diverging loss: tests/train/test_trainer.py.)"""

from __future__ import annotations

from conftest import assert_refused, train_args


def test_an_op_failing_in_a_dataloader_worker_is_its_own_one_line(cli, catalogue, workdir, tmp_path):
    policy = tmp_path / "policy.yaml"  # the catalogue's photos are 40 px: a 1000 px crop cannot work
    policy.write_text("name: crops\nlocal_set:\n  - Crop: {x_min: 0, y_min: 0, x_max: 1000, y_max: 1000, p: 1.0}\n"
                      "global_space:\n  base: dino\n")
    args = train_args(catalogue, workdir, "--out", tmp_path / "run", "--workers", 1, "--max-steps", 2)
    args[args.index("--policy") + 1] = policy
    result = cli("skill", *args)
    assert result.code != 0 and "Traceback" not in result.stderr and "Original" not in result.stderr
    warning, error = result.error_lines  # the trial run at validation warned already
    assert warning.startswith(f"warning: {policy}:3: Crop fails on a 96 x 72 px test photo")
    assert error.startswith("error: unexpected ValueError: Values for crop should be non negative"), error


def test_absurd_counts_on_the_command_line_are_one_line(cli, tmp_path):
    assert_refused(cli("skill-aug", "preview", "--task", "dress", "--samples", 1_000_000_000,
                       "--out", tmp_path / "p.png"), "--samples")
    assert_refused(cli("skill", "data", "synth", "--task", "dress", "--products", "10^12",
                       "--out", tmp_path / "c"), "--products")
    assert not (tmp_path / "p.png").exists() and not (tmp_path / "c").exists()


def test_bad_catalogue_and_type_requests_are_one_line(cli, catalogue, tmp_path):
    preview = tmp_path / "p.png"
    assert_refused(cli("skill-aug", "preview", "--data", catalogue, "--product", "no-such-product",
                       "--out", preview), "--product 'no-such-product' is not in")
    assert_refused(cli("skill-aug", "preview", "--data", catalogue, "--out", preview),
                   "--data and --product go together")
    assert_refused(cli("skill", "data", "synth", "--task", "dress,dress", "--products", 4, "--out", tmp_path / "c"),
                   "named twice")
    assert_refused(cli("skill", "data", "synth", "--task", "dress,shirt,shoes", "--products", 2,
                       "--out", tmp_path / "c"), "at least one product per type")
    assert not preview.exists() and not (tmp_path / "c").exists()


def test_a_catalogue_without_a_type_needs_one_named(cli, catalogue, workdir, tmp_path):
    args = train_args(catalogue, workdir, "--out", tmp_path / "run")
    at = args.index("--policy")
    del args[at:at + 2]  # neither --task nor --policy: the catalogue has no category column
    assert_refused(cli("skill", *args), "has no 'category' column to name each product's type: give --task")
    assert not (tmp_path / "run").exists()
