"""The networks: a timm backbone, DINO's projection head and the multi-crop wrapper.

    >>> cfg = backbone_config("vit_tiny_patch16_224", img_size=64, overrides={"patch_size": 8, "depth": 4})
    >>> backbone = timm.create_model(**cfg)          # exactly what model_config.json holds
    >>> student = MultiCropWrapper(backbone, DINOHead(backbone.num_features, out_dim=4096))
    >>> logits = student([g1, g2, l1, l2, l3])      # views of one resolution run as one batch

ViT backbones are built with ``dynamic_img_size=True`` so their position embeddings are
interpolated for the low-res views.
"""

from __future__ import annotations

from typing import Any

import timm
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

# timm model modules whose classes accept img_size / dynamic_img_size.
_DYNAMIC_SIZE_MODULES = {
    "timm.models.vision_transformer",
    "timm.models.deit",
    "timm.models.eva",
    "timm.models.vision_transformer_hybrid",
    "timm.models.vision_transformer_relpos",
}


def is_dynamic_size_model(model_name: str) -> bool:
    """Whether timm's ``model_name`` is a ViT-like model that interpolates position embeddings."""
    return timm.models.model_entrypoint(model_name).__module__ in _DYNAMIC_SIZE_MODULES


def backbone_config(model_name: str, img_size: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``timm.create_model`` keyword arguments of an embedding backbone (no classifier).

    ``overrides`` are timm's own architecture arguments (``embed_dim``, ``depth``,
    ``num_heads``, ``patch_size``, ...). ViT-like models also get ``img_size`` and
    ``dynamic_img_size=True``. Training-only options (drop-path) are not part of it.
    """
    if not timm.models.is_model(model_name):
        raise ValueError(f"unknown timm model {model_name!r}")
    cfg: dict[str, Any] = {"model_name": model_name, **dict(overrides or {}), "num_classes": 0}
    if is_dynamic_size_model(model_name):
        cfg["img_size"] = int(img_size)
        cfg["dynamic_img_size"] = True
    return cfg


def create_backbone(config: dict[str, Any], drop_path_rate: float = 0.0) -> nn.Module:
    """A randomly initialised backbone from a :func:`backbone_config` dict (no weights are downloaded)."""
    kwargs = dict(config)
    name = kwargs.pop("model_name")
    if drop_path_rate:
        kwargs["drop_path_rate"] = drop_path_rate
    return timm.create_model(name, pretrained=False, **kwargs)


class DINOHead(nn.Module):
    """DINO's projection head: MLP → L2-normalised bottleneck → weight-normalised prototypes.

    ``nlayers`` linear layers (in → hidden → … → bottleneck) with GELU between them, then
    ``last_layer``: a bias-free linear map to ``out_dim`` prototypes, weight-normalised with
    its gain ``g`` initialised to 1 and frozen when ``norm_last_layer`` (DINO's default;
    ``False`` lets the prototype norms learn, which DINO recommends for ViT-S). ``use_bn``
    puts BatchNorm after each hidden layer (DINO's ``--use_bn_in_head``): the batch's
    variation is rescaled to unit variance, so the head cannot drift to a constant output.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden_dim: int = 2048,
        bottleneck_dim: int = 256,
        nlayers: int = 3,
        norm_last_layer: bool = True,
        use_bn: bool = False,
    ):
        super().__init__()
        nlayers = max(nlayers, 1)

        def hidden(in_features: int) -> list[nn.Module]:
            bn: list[nn.Module] = [nn.BatchNorm1d(hidden_dim)] if use_bn else []
            return [nn.Linear(in_features, hidden_dim), *bn, nn.GELU()]

        if nlayers == 1:
            self.mlp: nn.Module = nn.Linear(in_dim, bottleneck_dim)
        else:
            layers: list[nn.Module] = hidden(in_dim)
            for _ in range(nlayers - 2):
                layers += hidden(hidden_dim)
            layers.append(nn.Linear(hidden_dim, bottleneck_dim))
            self.mlp = nn.Sequential(*layers)
        self.apply(self._init_weights)
        self.last_layer = weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        gain = self.last_layer.parametrizations.weight.original0
        with torch.no_grad():
            gain.fill_(1.0)
        gain.requires_grad = not norm_last_layer

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_dim]`` features → ``[N, out_dim]`` prototype logits."""
        x = self.mlp(x)
        x = F.normalize(x, dim=-1, p=2)
        return self.last_layer(x)


class MultiCropWrapper(nn.Module):
    """Backbone + head over a list of views: consecutive views of one resolution share one forward.

    ``forward(views)`` returns the head's logits for all views concatenated in order
    (``[sum of batch sizes, out_dim]``); with DINO's ordering (two high-res views, then
    the low-res ones) that is two backbone passes, whatever the number of local crops.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, views: list[torch.Tensor] | torch.Tensor,
                return_features: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits for every view, in the order given; with ``return_features`` also the backbone's features."""
        if isinstance(views, torch.Tensor):
            views = [views]
        features = []
        start = 0
        while start < len(views):
            end = start + 1
            while end < len(views) and views[end].shape[-2:] == views[start].shape[-2:]:
                end += 1
            features.append(self.backbone(torch.cat(views[start:end])))
            start = end
        feats = torch.cat(features)
        logits = self.head(feats)
        return (logits, feats) if return_features else logits


def parameter_groups(model: nn.Module) -> list[dict[str, Any]]:
    """AdamW groups: weight decay on weight matrices, none on biases and 1-D params (DINO's rule).

    The first group is the regularised one, so a weight-decay schedule writes to group 0.
    """
    regularized, not_regularized = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.endswith(".bias") or param.ndim <= 1:
            not_regularized.append(param)
        else:
            regularized.append(param)
    return [{"params": regularized}, {"params": not_regularized, "weight_decay": 0.0}]


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, momentum: float) -> None:
    """teacher ← momentum · teacher + (1 − momentum) · student, parameter by parameter."""
    t_params = [p for p in teacher.parameters()]
    s_params = [p.detach() for p in student.parameters()]
    if len(t_params) != len(s_params):
        raise ValueError("teacher and student have different parameter lists")
    torch._foreach_mul_(t_params, momentum)
    torch._foreach_add_(t_params, s_params, alpha=1.0 - momentum)
