"""The schedules: warm-up, cosine end points, lengths, teacher temperature."""

from __future__ import annotations

import numpy as np
import pytest

from skill_train.schedules import cosine_schedule, scaled_lr, teacher_temperature_schedule


def test_cosine_with_linear_warmup():
    s = cosine_schedule(1.0, 0.1, epochs=10, steps_per_epoch=5, warmup_epochs=2, start_warmup_value=0.0)
    assert len(s) == 50
    np.testing.assert_allclose(s[:10], np.linspace(0, 1, 10))
    assert s[10] == pytest.approx(1.0)                   # the cosine starts at the peak
    assert np.all(np.diff(s[10:]) <= 1e-12)              # then only decreases
    assert s[-1] == pytest.approx(0.1 + 0.45 * (1 + np.cos(np.pi * 39 / 40)))
    mid = 10 + 20                                         # half-way through the cosine part
    assert s[mid] == pytest.approx(0.55)


def test_no_warmup_and_increasing_schedule():
    m = cosine_schedule(0.996, 1.0, epochs=3, steps_per_epoch=4)
    assert m[0] == pytest.approx(0.996) and np.all(np.diff(m) > 0) and m[-1] < 1.0


def test_warmup_longer_than_run_is_truncated():
    s = cosine_schedule(1.0, 0.0, epochs=2, steps_per_epoch=3, warmup_epochs=5)
    assert len(s) == 6 and s[-1] == pytest.approx(1.0)


def test_bad_lengths_raise():
    with pytest.raises(ValueError):
        cosine_schedule(1.0, 0.0, epochs=0, steps_per_epoch=3)


def test_teacher_temperature():
    t = teacher_temperature_schedule(0.04, 0.07, warmup_epochs=4, epochs=6)
    np.testing.assert_allclose(t, [0.04, 0.05, 0.06, 0.07, 0.07, 0.07])
    np.testing.assert_allclose(teacher_temperature_schedule(0.04, 0.04, 0, 3), [0.04] * 3)
    assert len(teacher_temperature_schedule(0.04, 0.07, 10, 3)) == 3


def test_linear_scaling_rule():
    assert scaled_lr(5e-4, 512) == pytest.approx(1e-3)
