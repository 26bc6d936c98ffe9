"""The training configuration: one dataclass, filled from a preset YAML and command-line overrides.

    >>> cfg = TrainConfig.from_preset("cpu", task="curtains", epochs=5)
    >>> cfg.to_yaml()                     # what a run folder's config.yaml holds
    >>> TrainConfig.from_yaml(RunDir(run).config)     # or RunDir(run).load_config()

A preset (``skill_train/presets/<name>.yaml`` or any YAML path) names every
hyper-parameter of the recipe; run options (task, data, output, ...) come from the user.
A method's own hyper-parameters (DINO's head, temperatures, centring, KoLeo; SimCLR's
temperature; ...) are its ``method_options``, checked by the method's options dataclass.
A key of the method's options written at the top level (as ``config.yaml`` of runs before
the options moved to their method did) is read as that option.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill_aug.catalog_policies import UNKNOWN_CATEGORY_CHOICES
from skill_aug.errors import SkillAugError
from skill_aug.yaml_lines import load_bounded_yaml

PRESET_DIR = Path(__file__).resolve().parents[1] / "presets"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda")
#: Upper bounds that keep a typo from asking for years of training or terabytes of memory.
MAX_EPOCHS = 100_000
MAX_BATCH = 65_536
MAX_VIEW = 1024
MAX_PRODUCTS = 1_000_000


class ConfigError(SkillAugError):
    """A preset, run config or option value that cannot be used; ``field`` names the field when one is to blame."""

    def __init__(self, message: str, field: str | None = None, expected: str | None = None):
        super().__init__(message)
        self.field, self.expected = field, expected


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved as the run's ``config.yaml``.

    Run options: ``task`` (product type; its installed policy and synthetic catalogue are
    the defaults), ``data`` (a catalogue folder or manifest), ``policy`` (a policy YAML
    overriding the task's), ``out`` (run folder), ``resume`` (continue the run saved in ``out``), ``max_steps`` (stop after this many
    optimiser steps; schedules still span ``epochs`` so ``--resume`` continues the same
    run), ``init`` (a local safetensors/checkpoint file with backbone weights).
    ``category_column`` names each product's type; ``category_map`` maps a category to an
    installed type (``rug: wall-art``); ``unknown_category`` says what products of a category
    without one get (``error``, ``global``: G only, ``skip``); ``balance_categories`` draws
    every category equally often. ``method`` names a registered training method (``dino``, ``simclr``, ``byol``, ...);
    ``method_options`` are that method's own options (e.g. DINO's ``out_dim``, SimCLR's
    ``temperature``; :attr:`options` parses them). The rest is the recipe shared by every
    method (see ``presets/cpu.yaml`` for each field's meaning).
    """

    # run
    task: str | None = None
    data: str | None = None
    policy: str | None = None
    preset: str = "cpu"
    method: str = "dino"
    method_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    out: str | None = None
    resume: bool = False
    max_steps: int | None = None
    device: str = "auto"
    init: str | None = None
    workers: int = 1
    threads: int | None = None
    synthetic_products: int | None = None
    eval_holdout: float = 0.2
    knn_k: int = 20
    knn_temperature: float = 0.07
    eval_every: int = 0  # epochs between held-out k-NN checks during training (0: only at the end)
    # which policy each product gets (a catalogue of several product types)
    category_column: str = "category"
    category_map: dict[str, str] = field(default_factory=dict)
    unknown_category: str = "error"
    balance_categories: bool = False
    # backbone and views
    arch: str = "vit_tiny_patch16_224"
    arch_overrides: dict[str, Any] = field(default_factory=dict)
    drop_path_rate: float = 0.0
    high_res_size: int | None = 64
    low_res_size: int | None = 32
    n_local: int | None = None
    # optimisation
    epochs: int = 30
    batch_size: int = 64
    base_lr: float = 0.0005
    min_lr: float = 1e-6
    warmup_epochs: float = 10
    weight_decay: float = 0.04
    weight_decay_end: float = 0.4
    momentum_teacher: float = 0.996
    clip_grad: float = 3.0
    precision: str = "auto"

    @classmethod
    def field_names(cls) -> list[str]:
        """Every configurable field, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_preset(cls, preset: str | Path = "cpu", **overrides: Any) -> "TrainConfig":
        """The preset's values, the method's recipe for it, then ``overrides`` (``None`` values are ignored).

        A bundled preset (``cpu``, ``paper``) is DINO's recipe; another method changes what its
        ``recipes`` say for that preset (e.g. SimCLR: a ResNet and no low-res views). A preset
        given as a file is used as written. ``method_options`` overrides merge into the recipe's.
        """
        values, source = load_preset(preset)
        values["preset"] = str(preset)
        method = overrides.get("method") or values.get("method", "dino")
        if method != values.get("method", "dino"):
            # the preset's own method options belong to its method, not to this one
            theirs = _option_names(str(values.get("method", "dino")))
            values = {k: v for k, v in values.items() if k != "method_options" and k not in theirs}
        recipe = method_recipe(str(method), preset)
        options = {**_given_options(values, source), **dict(recipe.pop("method_options", {}))}
        values.update(recipe)
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["method_options"] = {**options, **dict(overrides.get("method_options") or {})}
        return cls.from_dict(values, source)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> "TrainConfig":
        """Build from a plain mapping; an unknown key is an error naming ``source``.

        A top-level key that is one of the method's options joins ``method_options`` (and
        wins over the same option there).
        """
        names = set(cls.field_names())
        values = _options_into_method_options(dict(values), names, source)
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"{source}: unknown key {unknown[0]!r} (valid keys: {', '.join(cls.field_names())})")
        for f in dataclasses.fields(cls):
            if f.name in values:
                values[f.name] = _check_type(f.name, str(f.type), values[f.name], source)
        cfg = cls(**values)
        cfg.validate(source)
        # every option of the method with its value, so config.yaml shows what was used
        cfg.method_options = dataclasses.asdict(cfg._method_options(source))
        return cfg

    @classmethod
    def from_yaml(cls, path: Path) -> "TrainConfig":
        """Read a run's ``config.yaml`` (or any YAML of fields)."""
        path = Path(path)
        return cls.from_dict(read_mapping(path), str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain values (YAML/JSON-safe)."""
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        """The config as YAML, fields in declaration order."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def replace(self, **changes: Any) -> "TrainConfig":
        """A validated copy with ``changes`` applied."""
        cfg = dataclasses.replace(self, **changes)
        cfg.validate()
        return cfg

    def with_method(self, method: str, **changes: Any) -> "TrainConfig":
        """This config (same budget: data, epochs, batch, seed, view sizes) for another method, with its recipe.

        The method's recipe for this config's bundled preset is applied (``replace(method=...)``
        alone would keep, say, DINO's ViT and learning rate for SimCLR), then ``changes``.
        """
        recipe = method_recipe(method, self.preset)
        options = recipe.pop("method_options", {})
        values = {**recipe, **changes, "method": method, "method_options": {**options, **changes.get("method_options", {})}}
        cfg = self.replace(**values)
        cfg.method_options = dataclasses.asdict(cfg._method_options())
        return cfg

    def validate(self, source: str = "config") -> None:
        """Raise :class:`ConfigError` naming the first field whose value cannot work."""
        for f in dataclasses.fields(self):  # NaN and infinities pass every range check below
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{source}: {f.name} = {value!r} is not valid (expected a finite number)",
                                  f.name, "a finite number")
        checks: list[tuple[str, bool, str]] = [
            ("seed", 0 <= self.seed < 2**32, "an integer in [0, 2^32)"),
            ("epochs", 1 <= self.epochs <= MAX_EPOCHS, f"an integer in [1, {MAX_EPOCHS}]"),
            ("threads", self.threads is None or 1 <= self.threads <= 1024, "an integer in [1, 1024] or null"),
            ("synthetic_products", self.synthetic_products is None or 1 <= self.synthetic_products <= MAX_PRODUCTS,
             f"an integer in [1, {MAX_PRODUCTS}] or null"),
            ("knn_k", self.knn_k >= 1, "an integer >= 1"),
            ("knn_temperature", self.knn_temperature > 0, "a number > 0"),
            ("eval_every", 0 <= self.eval_every <= MAX_EPOCHS, f"an integer in [0, {MAX_EPOCHS}] (0: off)"),
            ("drop_path_rate", 0 <= self.drop_path_rate < 1, "a rate in [0, 1)"),
            ("min_lr", self.min_lr >= 0, "a number >= 0"),
            ("warmup_epochs", self.warmup_epochs >= 0, "a number >= 0 (capped at epochs)"),
            ("weight_decay", self.weight_decay >= 0, "a number >= 0"),
            ("weight_decay_end", self.weight_decay_end >= 0, "a number >= 0"),
            ("batch_size", 2 <= self.batch_size <= MAX_BATCH, f"an integer in [2, {MAX_BATCH}]"),
            ("base_lr", 0 < self.base_lr <= 10, "a number in (0, 10]"),
            ("workers", 0 <= self.workers <= 256, "an integer in [0, 256]"),
            ("momentum_teacher", 0 <= self.momentum_teacher <= 1, "a number in [0, 1]"),
            ("eval_holdout", 0 <= self.eval_holdout < 1, "a fraction in [0, 1)"),
            ("precision", self.precision in PRECISIONS, "one of " + ", ".join(PRECISIONS)),
            ("device", self.device in DEVICES or self.device.startswith("cuda:"), "cpu, cuda, cuda:N or auto"),
            ("max_steps", self.max_steps is None or self.max_steps >= 1, "an integer >= 1"),
            ("n_local", self.n_local is None or self.n_local >= 0, "an integer >= 0 or null"),
            ("high_res_size", self.high_res_size is None or 8 <= self.high_res_size <= MAX_VIEW,
             f"a size in [8, {MAX_VIEW}] px or null"),
            ("low_res_size", self.low_res_size is None or 8 <= self.low_res_size <= MAX_VIEW,
             f"a size in [8, {MAX_VIEW}] px or null"),
            ("n_local", self.n_local is None or self.n_local <= 64, "an integer in [0, 64] or null"),
            ("clip_grad", self.clip_grad >= 0, "a number >= 0 (0 disables clipping)"),
            ("category_column", bool(self.category_column.strip()), "a column name"),
            ("category_map", all(isinstance(k, str) and k and isinstance(v, str) and v
                                 for k, v in self.category_map.items()),
             "a mapping of CATEGORY: TYPE, e.g. {rug: wall-art}"),
            ("unknown_category", self.unknown_category in UNKNOWN_CATEGORY_CHOICES,
             "one of " + ", ".join(UNKNOWN_CATEGORY_CHOICES)),
        ]
        for name, ok, valid in checks:
            if not ok:
                raise ConfigError(f"{source}: {name} = {getattr(self, name)!r} is not valid (expected {valid})",
                                  name, valid)
        self._method_options(source)
        self._check_arch(source)

    def _check_arch(self, source: str) -> None:
        """``arch`` is a timm model and ``arch_overrides`` are arguments it takes, with usable values."""
        from skill_train.models.backbone import BackboneError, check_backbone

        try:
            check_backbone(self.arch, self.arch_overrides, self.drop_path_rate)
        except BackboneError as err:
            raise ConfigError(f"{source}: {err}", "arch") from None

    @property
    def options(self) -> Any:
        """The method's options as its options dataclass (e.g. ``DINOOptions``)."""
        return self._method_options()

    def _method_options(self, source: str = "config") -> Any:
        """The method's parsed options (an unknown method raises ``UnknownMethod``, a bad option ``ConfigError``)."""
        from skill_train.methods import MethodError, load_method

        method = load_method(self.method)
        try:
            return method.parse_options(self.method_options, f"{source}: method_options")
        except MethodError as err:
            raise ConfigError(str(err)) from err


def _options_into_method_options(values: dict[str, Any], fields: set[str], source: str) -> dict[str, Any]:
    """``values`` with top-level keys that are options of its method moved into ``method_options``."""
    from skill_train.methods import UnknownMethod

    given = _given_options(values, source)
    strays = [k for k in values if k not in fields]
    if not strays:
        return values
    try:
        option_names = _option_names(str(values.get("method", "dino")))
    except UnknownMethod:
        return values  # reported by validation, with the closest method name
    moved = {k: values.pop(k) for k in strays if k in option_names}
    if moved:
        values["method_options"] = {**given, **moved}
    return values


def _given_options(values: dict[str, Any], source: str) -> dict[str, Any]:
    """The ``method_options`` mapping of ``values`` (``{}`` when absent); anything else is a ConfigError."""
    given = values.get("method_options") or {}
    if not isinstance(given, dict):
        raise ConfigError(f"{source}: method_options = {given!r} is not valid (expected a mapping of options)")
    return given


def _check_type(name: str, type_name: str, value: Any, source: str) -> Any:
    """``value`` as the field's declared type (ints accepted for floats), or a ConfigError."""
    from skill_train.methods.options import typed_value

    ok, value = typed_value(value, type_name)
    if not ok:
        allowed = type_name.split("|")[0].strip() + (" or null" if "None" in type_name else "")
        raise ConfigError(f"{source}: {name} = {value!r} is not valid (expected {allowed})", name, allowed)
    return value


def method_recipe(method: str, preset: str | Path) -> dict[str, Any]:
    """What ``method`` changes in the bundled ``preset`` (a copy; empty for a preset file)."""
    import copy

    from skill_train.methods import load_method

    if str(preset) not in preset_names():
        return {}
    return copy.deepcopy(load_method(method).recipes.get(str(preset), {}))


def _option_names(method: str) -> set[str]:
    """The names of ``method``'s own options."""
    from skill_train.methods import load_method

    return {f.name for f in dataclasses.fields(load_method(method).Options)}


def default_preset(device: str | None) -> str:
    """``paper`` when training will run on CUDA, else ``cpu``."""
    from skill_train.models.device import resolve_device

    return "paper" if resolve_device(device or "auto").type == "cuda" else "cpu"


def preset_names() -> list[str]:
    """The bundled presets (``cpu``, ``paper``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_preset(preset: str | Path) -> tuple[dict[str, Any], str]:
    """A preset's values and the file they came from: a bundled name or a YAML path."""
    path = Path(preset)
    if not (path.suffix in {".yaml", ".yml"} or path.exists()):
        path = PRESET_DIR / f"{preset}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown preset {str(preset)!r} (bundled: {', '.join(preset_names())}; or give a YAML file)"
            )
    return read_mapping(path), str(path)


def read_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        values, _ = load_bounded_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read ({err})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(err, 'problem', err)})") from err
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, got {type(values).__name__}")
    return values
