"""``skill data synth``: the trainer's command over the synthetic catalogue writer."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from skill_aug.synth import SynthError
from skill_aug.synth.silhouettes import SILHOUETTES
from skill_train.cli import build_app


def test_cli_data_synth(tmp_path):
    out = tmp_path / "shoes"
    args = ["data", "synth", "--task", "shoes", "--products", "5", "--size", "48", "--out", str(out),
            "--photos-min", "2", "--photos-max", "3", "--json"]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["products"] == 5 and 10 <= stats["images"] <= 15 and stats["images_per_s"] > 0
    with (out / "attributes.csv").open(encoding="utf-8") as f:
        assert {r["style"] for r in csv.DictReader(f)} <= set(SILHOUETTES["shoes"].attributes["style"])
    again = CliRunner().invoke(build_app(), args)
    assert again.exit_code != 0 and isinstance(again.exception, SynthError)
