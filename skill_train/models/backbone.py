"""The embedding backbone: a timm model described by a plain dict (what ``model_config.json`` holds).

    >>> cfg = backbone_config("vit_tiny_patch16_224", img_size=64, overrides={"patch_size": 8, "depth": 4})
    >>> backbone = create_backbone(cfg)              # timm.create_model(**cfg), never downloads weights

ViT backbones are built with ``dynamic_img_size=True`` so their position embeddings are
interpolated for the low-res views.
"""

from __future__ import annotations

import re
from typing import Any

import timm
import torch
from torch import nn

from skill_aug.errors import SkillAugError


class BackboneError(SkillAugError):
    """A timm model name or architecture argument that cannot build a backbone."""

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
        raise BackboneError(f"arch = {model_name!r} is not a timm model (e.g. vit_small_patch16_224, resnet50; "
                            "timm.list_models() lists them)")
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


#: Parameters a backbone may have: far above any model that trains on one machine, far below a typo's.
MAX_PARAMETERS = 2_000_000_000


def check_backbone(model_name: str, overrides: dict[str, Any], drop_path_rate: float = 0.0) -> None:
    """Raise :class:`BackboneError` (one line) unless ``model_name`` with ``overrides`` builds a backbone
    of at most :data:`MAX_PARAMETERS` parameters.

    Built on PyTorch's ``meta`` device: shapes only, no memory and no time.
    """
    for key, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if isinstance(value, int) and value < 1:
            raise BackboneError(f"arch_overrides.{key} = {value!r} is not valid (expected an integer >= 1)")
        if isinstance(value, float) and not (0 <= value < float("inf")):
            raise BackboneError(f"arch_overrides.{key} = {value!r} is not valid (expected a finite number >= 0)")
    config = backbone_config(model_name, 64, overrides)
    try:
        with torch.device("meta"):
            model = create_backbone(config, drop_path_rate)
    except TypeError as err:
        unknown = re.search(r"unexpected keyword argument '([^']+)'", str(err))
        if unknown:
            raise BackboneError(f"arch_overrides: {unknown.group(1)!r} is not an argument of timm model "
                                f"{model_name!r}") from None
        raise BackboneError(f"arch_overrides {overrides} do not build timm model {model_name!r} ({err})") from None
    except Exception as err:  # timm and torch raise many types for arguments that do not fit together
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise BackboneError(f"arch_overrides {overrides} do not build timm model {model_name!r} ({first})") from None
    n = sum(p.numel() for p in model.parameters())
    if n > MAX_PARAMETERS:
        raise BackboneError(f"arch {model_name!r} with arch_overrides {overrides} has {n:,} parameters "
                            f"(at most {MAX_PARAMETERS:,})")
