"""A NaN never reaches a checkpoint or an export, and a second Ctrl-C never splits a checkpoint from its summary."""

from __future__ import annotations

import signal

import pytest
import torch

from skill_train.run.checkpoint import NonFiniteState, first_nonfinite, load_checkpoint, save_checkpoint
from skill_train.train.loop import StopRequest


def test_a_state_with_nan_is_never_saved_over_a_good_one(tmp_path):
    path = tmp_path / "checkpoint.pt"
    good = {"student": {"w": torch.ones(3)}, "next_step": 4}
    save_checkpoint(path, good)
    before = path.read_bytes()
    bad = {"student": {"w": torch.tensor([1.0, float("nan"), 2.0])}, "optimizer": {"state": {0: {"exp_avg": torch.ones(2)}}},
           "next_step": 5}
    with pytest.raises(NonFiniteState, match=r"student\.w holds NaN"):
        save_checkpoint(path, bad)
    assert path.read_bytes() == before and load_checkpoint(path)["next_step"] == 4
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_first_nonfinite_looks_inside_optimizer_state_and_ignores_integers():
    assert first_nonfinite({"a": torch.arange(3), "b": [torch.zeros(2)]}) is None
    assert first_nonfinite({"optimizer": {"state": {0: {"exp_avg": torch.tensor([float("inf")])}}}}) == "optimizer.state.0.exp_avg"


def test_a_second_ctrl_c_while_saving_waits_until_the_save_is_whole():
    done = []
    with StopRequest() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            with stop.saving():
                signal.raise_signal(signal.SIGINT)  # the second Ctrl-C, in the middle of the save
                done.append("checkpoint")
                done.append("summary")
    assert done == ["checkpoint", "summary"]
    with pytest.raises(KeyboardInterrupt):  # outside a save it still means now
        with StopRequest():
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
