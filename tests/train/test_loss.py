"""DINOLoss against an independent, element-by-element re-derivation of DINO's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from skill_train.methods.dino import DINOLoss, koleo_loss


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def reference_loss(student: np.ndarray, teacher: np.ndarray, center: np.ndarray, ncrops: int,
                   teacher_temp: float, student_temp: float = 0.1) -> float:
    """Sum over (teacher view t, student view s != t) of the batch-mean cross-entropy, / pairs."""
    batch = teacher.shape[0] // 2
    terms = []
    for t in range(2):
        for s in range(ncrops):
            if s == t:
                continue
            per_sample = []
            for b in range(batch):
                q = _softmax((teacher[t * batch + b] - center[0]) / teacher_temp)
                logits = student[s * batch + b] / student_temp
                logp = logits - (logits.max() + math.log(np.exp(logits - logits.max()).sum()))
                per_sample.append(-(q * logp).sum())
            terms.append(np.mean(per_sample))
    assert len(terms) == 2 * ncrops - 2
    return float(np.mean(terms))


@pytest.fixture
def outputs():
    gen = torch.Generator().manual_seed(0)
    ncrops, batch, dim = 5, 3, 16
    student = torch.randn(ncrops * batch, dim, generator=gen, dtype=torch.float64) * 2
    teacher = torch.randn(2 * batch, dim, generator=gen, dtype=torch.float64) * 2
    return ncrops, dim, student, teacher


def test_matches_reference_with_temperature_warmup_and_centre_updates(outputs):
    ncrops, dim, student, teacher = outputs
    loss_fn = DINOLoss(dim, ncrops, warmup_teacher_temp=0.04, teacher_temp=0.07,
                       warmup_teacher_temp_epochs=4, nepochs=10)
    center = np.zeros((1, dim))
    temps = [0.04, 0.05, 0.06, 0.07, 0.07, 0.07]  # linspace(0.04, 0.07, 4), then flat
    for epoch, temp in enumerate(temps):
        assert loss_fn.teacher_temp(epoch) == pytest.approx(temp)
        t = teacher.numpy() + 0.3 * epoch  # change the batch so the centre matters
        expected = reference_loss(student.numpy(), t, center, ncrops, temp)
        got = loss_fn(student, torch.from_numpy(t), epoch)
        assert float(got) == pytest.approx(expected, rel=1e-5)
        center = 0.9 * center + 0.1 * t.mean(axis=0, keepdims=True)
        np.testing.assert_allclose(loss_fn.center.numpy(), center, rtol=1e-5, atol=1e-7)


def test_same_view_pairs_are_skipped():
    # With two crops only the cross pairs (teacher 0 → student 1, teacher 1 → student 0) count:
    # a student that reproduces each teacher view *at the same index* gains nothing.
    dim, batch = 8, 4
    gen = torch.Generator().manual_seed(1)
    t0, t1 = torch.randn(batch, dim, generator=gen), torch.randn(batch, dim, generator=gen)
    s_same = torch.cat([t0, t1]) * 0.04 / 0.1 * 10       # peaks where the same-index teacher peaks
    loss_fn = DINOLoss(dim, 2, 0.04, 0.04, 0, 1)
    got = float(loss_fn(s_same, torch.cat([t0, t1]), 0, update_center=False))

    def ce(teacher, student):
        return float((-(torch.softmax(teacher / 0.04, -1) * torch.log_softmax(student / 0.1, -1)).sum(-1)).mean())

    expected = (ce(t0, s_same[batch:]) + ce(t1, s_same[:batch])) / 2
    with_same_pairs = (expected * 2 + ce(t0, s_same[:batch]) + ce(t1, s_same[batch:])) / 4
    assert got == pytest.approx(expected, rel=1e-5)
    assert abs(got - with_same_pairs) > 0.1


def test_uniform_collapse_gives_log_out_dim_and_zero_kl():
    dim, ncrops, batch = 64, 4, 5
    loss_fn = DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1)
    loss = loss_fn(torch.zeros(ncrops * batch, dim), torch.zeros(2 * batch, dim), 0)
    assert float(loss) == pytest.approx(math.log(dim), rel=1e-6)
    assert loss_fn.stats["teacher_entropy"] == pytest.approx(math.log(dim), rel=1e-5)
    assert loss_fn.stats["kl"] == pytest.approx(0.0, abs=1e-5)


def test_diagnostics_match_direct_computation(outputs):
    ncrops, dim, student, teacher = outputs
    batch = teacher.shape[0] // 2
    loss_fn = DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1)
    loss_fn(student, teacher, 0)
    q = torch.softmax(teacher / 0.04, -1)
    entropy = -(q * q.log()).sum(-1).mean()
    kls = []
    for t in range(2):
        for s in range(ncrops):
            if s != t:
                p_t = q[t * batch:(t + 1) * batch]
                logp_s = torch.log_softmax(student[s * batch:(s + 1) * batch] / 0.1, -1)
                kls.append((p_t * (p_t.log() - logp_s)).sum(-1).mean())
    assert loss_fn.stats["teacher_entropy"] == pytest.approx(float(entropy), rel=1e-5)
    assert loss_fn.stats["kl"] == pytest.approx(float(torch.stack(kls).mean()), rel=1e-4)
    assert loss_fn.stats["prototypes_used"] == len(set(q.argmax(-1).tolist()))


def test_gradient_flows_to_student_only(outputs):
    ncrops, dim, student, teacher = outputs
    student = student.clone().requires_grad_(True)
    teacher = teacher.clone().requires_grad_(True)
    DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1)(student, teacher, 0).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_centre_is_saved_in_state_dict(outputs):
    ncrops, dim, student, teacher = outputs
    loss_fn = DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1)
    loss_fn(student, teacher, 0)
    other = DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1)
    other.load_state_dict(loss_fn.state_dict())
    assert torch.equal(other.center, loss_fn.center) and other.center.abs().sum() > 0


def test_shape_mismatch_is_a_clear_error(outputs):
    ncrops, dim, student, teacher = outputs
    with pytest.raises(ValueError, match="do not split"):
        DINOLoss(dim, ncrops + 1, 0.04, 0.04, 0, 1)(student, teacher, 0)


def test_sinkhorn_knopp_balances_prototypes_over_the_batch():
    from skill_train.methods.dino import sinkhorn_knopp

    gen = torch.Generator().manual_seed(3)
    scores = torch.randn(12, 4, generator=gen) / 0.1
    scores[:, 0] += 5  # every sample prefers prototype 0 ...
    q = sinkhorn_knopp(scores, iterations=200)
    torch.testing.assert_close(q.sum(1), torch.ones(12))
    torch.testing.assert_close(q.sum(0), torch.full((4,), 3.0), rtol=1e-3, atol=1e-3)  # ... but each gets N/K


def test_sinkhorn_centering_uses_balanced_teacher_targets(outputs):
    from skill_train.methods.dino import sinkhorn_knopp

    ncrops, dim, student, teacher = outputs
    loss_fn = DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1, centering="sinkhorn")
    got = float(loss_fn(student, teacher, 0))
    q = sinkhorn_knopp(teacher / 0.04, 3).chunk(2)
    batch = teacher.shape[0] // 2
    terms = [(-(q[t] * torch.log_softmax(student[s * batch:(s + 1) * batch] / 0.1, -1)).sum(-1)).mean()
             for t in range(2) for s in range(ncrops) if s != t]
    assert got == pytest.approx(float(torch.stack(terms).mean()), rel=1e-5)
    with pytest.raises(ValueError, match="centering"):
        DINOLoss(dim, ncrops, 0.04, 0.04, 0, 1, centering="median")


def test_koleo_hand_computed_and_scale_free():
    # three unit vectors: every nearest neighbour is at distance sqrt(2)
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    assert koleo_loss(x).item() == pytest.approx(-math.log(math.sqrt(2)), abs=1e-6)
    assert koleo_loss(5 * x).item() == pytest.approx(koleo_loss(x).item(), abs=1e-6)  # rows are L2-normalised
    # an uneven batch: the near pair counts with its small distance
    y = torch.tensor([[1.0, 0.0], [math.cos(0.1), math.sin(0.1)], [-1.0, 0.0]])
    near = 2 * math.sin(0.05)
    expected = -(math.log(near) * 2 + math.log(2 * math.cos(0.05))) / 3
    assert koleo_loss(y).item() == pytest.approx(expected, rel=1e-5)


def test_koleo_gradient_spreads_the_closest_pair():
    y = torch.tensor([[1.0, 0.0], [math.cos(0.1), math.sin(0.1)], [-1.0, 0.0]], requires_grad=True)
    koleo_loss(y).backward()
    with torch.no_grad():
        moved = torch.nn.functional.normalize(y - 0.01 * y.grad, dim=-1)
        before = torch.nn.functional.normalize(y, dim=-1)
    assert (moved[0] - moved[1]).norm() > (before[0] - before[1]).norm()
    assert koleo_loss(torch.ones(1, 4)).item() == 0.0  # no neighbour, no term
