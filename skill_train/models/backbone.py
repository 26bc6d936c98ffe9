"""The embedding backbone: a timm model described by a plain dict (what ``model_config.json`` holds).

    >>> cfg = backbone_config("vit_tiny_patch16_224", img_size=64, overrides={"patch_size": 8, "depth": 4})
    >>> backbone = create_backbone(cfg)              # timm.create_model(**cfg), never downloads weights

ViT backbones are built with ``dynamic_img_size=True`` so their position embeddings are
interpolated for the low-res views.
"""

from __future__ import annotations

from typing import Any

import timm
from torch import nn

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
