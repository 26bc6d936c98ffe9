"""Backbone config, DINO head, multi-crop batching, parameter groups and the EMA update."""

from __future__ import annotations

import timm
import torch
import pytest

from skill_train.methods.dino import DINOHead
from skill_train.models.backbone import BackboneError, backbone_config, create_backbone
from skill_train.models.ema import ema_update
from skill_train.models.multicrop import MultiCropWrapper
from skill_train.models.param_groups import parameter_groups

TINY = {"patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}


@pytest.fixture
def tiny_backbone():
    torch.manual_seed(0)
    return create_backbone(backbone_config("vit_tiny_patch16_224", 32, TINY)).eval()


def test_backbone_config_is_plain_timm_kwargs():
    cfg = backbone_config("vit_tiny_patch16_224", 32, TINY)
    assert cfg["num_classes"] == 0 and cfg["dynamic_img_size"] is True and cfg["img_size"] == 32
    model = timm.create_model(**cfg)
    assert model.num_features == 32
    assert "dynamic_img_size" not in backbone_config("resnet18", 64)
    with pytest.raises(BackboneError, match="'no_such_net' is not a timm model"):
        backbone_config("no_such_net", 64)


def test_vit_accepts_low_res_views(tiny_backbone):
    high = tiny_backbone(torch.randn(2, 3, 32, 32))
    low = tiny_backbone(torch.randn(2, 3, 16, 16))
    assert high.shape == low.shape == (2, 32)


def test_head_structure_and_frozen_gain():
    head = DINOHead(32, out_dim=50, hidden_dim=64, bottleneck_dim=16, nlayers=3, norm_last_layer=True)
    linears = [m for m in head.mlp if isinstance(m, torch.nn.Linear)]
    gelus = [m for m in head.mlp if isinstance(m, torch.nn.GELU)]
    assert [(m.in_features, m.out_features) for m in linears] == [(32, 64), (64, 64), (64, 16)]
    assert len(gelus) == 2
    gain = head.last_layer.parametrizations.weight.original0
    assert torch.all(gain == 1) and not gain.requires_grad
    assert DINOHead(32, 50, norm_last_layer=False).last_layer.parametrizations.weight.original0.requires_grad
    # unit-norm prototypes (g = 1) and an L2-normalised bottleneck bound every logit by 1
    logits = head(torch.randn(10, 32) * 100)
    assert logits.shape == (10, 50) and logits.abs().max() <= 1 + 1e-5
    torch.testing.assert_close(head.last_layer.weight.norm(dim=1), torch.ones(50))


def test_multicrop_batches_views_by_resolution(tiny_backbone):
    head = DINOHead(32, 20, hidden_dim=32, bottleneck_dim=8)
    wrapper = MultiCropWrapper(tiny_backbone, head).eval()
    calls = []
    tiny_backbone.register_forward_hook(lambda m, inp, out: calls.append(inp[0].shape[0]))
    views = [torch.randn(3, 3, 32, 32) for _ in range(2)] + [torch.randn(3, 3, 16, 16) for _ in range(4)]
    out = wrapper(views)
    assert out.shape == (18, 20)
    assert calls == [6, 12]   # one pass for the 2 high-res views, one for the 4 low-res ones
    calls.clear()
    separately = torch.cat([head(tiny_backbone(v)) for v in views])
    torch.testing.assert_close(out, separately, rtol=1e-4, atol=1e-5)


def test_parameter_groups_exclude_biases_and_norms():
    head = DINOHead(8, 10, hidden_dim=16, bottleneck_dim=4, norm_last_layer=False)
    model = torch.nn.Sequential(torch.nn.LayerNorm(8), head)
    decay, no_decay = parameter_groups(model)
    assert no_decay["weight_decay"] == 0.0
    ids = {id(p) for p in decay["params"]}
    assert id(model[0].weight) not in ids and id(head.mlp[0].bias) not in ids
    assert id(head.mlp[0].weight) in ids
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_frozen_gain_is_left_out_of_the_optimiser():
    head = DINOHead(8, 10, hidden_dim=16, bottleneck_dim=4, norm_last_layer=True)
    n = sum(len(g["params"]) for g in parameter_groups(head))
    assert n == len(list(head.parameters())) - 1


def test_ema_update():
    student = torch.nn.Linear(3, 2)
    teacher = torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in teacher.parameters()]
    ema_update(teacher, student, 0.9)
    for t, b, s in zip(teacher.parameters(), before, student.parameters()):
        torch.testing.assert_close(t.detach(), 0.9 * b + 0.1 * s.detach())


def test_batchnorm_head_keeps_a_near_constant_input_varied():
    torch.manual_seed(0)
    head = DINOHead(16, 32, hidden_dim=64, bottleneck_dim=8, use_bn=True)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in head.mlp) == 2
    # inputs that differ by 1e-4 around a large shared offset: the plain head maps them to
    # (almost) one direction, the BatchNorm head still separates them
    x = 5.0 + 1e-4 * torch.randn(32, 16)
    plain = DINOHead(16, 32, hidden_dim=64, bottleneck_dim=8)
    spread = lambda h: torch.nn.functional.normalize(h.mlp(x), dim=-1).std(0).sum()
    assert spread(head) > 100 * spread(plain)
