"""A compiled policy: applies H, then G∘A_i, to one product's photos (paper Eq. 1–2).

    x1, x2       = G_h∘A_i(H(x′)), G_h∘A_i(H(x″))     (global views; the teacher sees these)
    y1 … yc      = G_l∘A_i(H(x′))                     (local, low-resolution views)

H runs on the photo as read; its result is scaled down to the policy's working size (the
shorter side at which no view's crop is smaller than the view, see
:func:`skill_aug.spec.derived_working_size`) before A_i and G, which therefore cost the
same for a 500 px and a 3000 px photo. A local set that zooms in (``RegionCrop``) gets H(x)
larger, at the *source size* (working size × :attr:`Policy.zoom`), and the shrink to the
working size follows its last zooming op: a close-up of a large photo then holds the photo's
own pixels rather than an enlargement of the working image.

A_i is drawn once per source photo and shared by that photo's views (``local_set_draws:
per_photo``, Eq. 1–2 as written: A_i(x′) feeds x1 and every y), or once per view
(``per_view``); every view draws its own crop and global ops. One call is seeded by one
``rng``: the same seed gives the same views.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import yaml

from skill_aug.errors import PluginError, first_line
from skill_aug.images import DEFAULT_MIN_SIDE, grow_to_shorter_side, shrink_to_shorter_side
from skill_aug.plugins import Registry, get_registry, make_op
from skill_aug.spec import GlobalSpace, OpSpec, ViewGroup
from skill_aug.policy_document import (
    ResolvedPolicy,
    resolve_policy_file,
    resolve_task,
    spec_to_document,
)


@dataclass
class MultiView:
    """The views of one product: ``global_views`` (x1, x2, …) and ``local_views`` (y1 … yc)."""

    global_views: list[np.ndarray]
    local_views: list[np.ndarray]


class _SeededPipeline:
    """An albumentations Compose whose transforms all draw from one re-seedable stream.

    ``Compose.set_random_seed`` gives every transform the *same* seed, so their first draws
    coincide (a flip would always come with a grey-scale). Sharing one generator pair keeps
    draws independent and makes re-seeding per call cheap.
    """

    def __init__(self, compose: Any):
        self.compose = compose
        self._np = np.random.default_rng(0)
        self._py = random.Random(0)
        _share_random_state(compose, self._np, self._py)

    def __call__(self, image: np.ndarray, seed: int) -> np.ndarray:
        self._py.seed(seed)
        self._np.bit_generator.state = np.random.PCG64(seed).state
        return self.compose(image=image)["image"]


def _share_random_state(transform: Any, gen: np.random.Generator, py: random.Random) -> None:
    from albumentations.core.composition import BaseCompose

    transform.set_random_state(gen, py)
    if isinstance(transform, BaseCompose):
        for child in transform.transforms:
            _share_random_state(child, gen, py)


#: The deepest zoom a source size follows (× the working size): a local set that zooms further
#: enlarges its closest close-ups rather than keep H(x) ever larger. At 2, a policy costs on any
#: photo about what it costs on a 1024 px one at the paper's views (docs/performance.md).
MAX_ZOOM = 2.0


def _build_ops(ops: Sequence[OpSpec], registry: Registry) -> list[Any]:
    return [make_op(registry.op_class(op.name), op.params) for op in ops]


def op_zoom(op: OpSpec, registry: Registry) -> float:
    """How far ``op`` can enlarge part of its input (1 for an op that does not zoom in): its
    class's ``max_zoom(params)`` where it declares one (``RegionCrop`` does).

    Infinity (no bound) counts as ``MAX_ZOOM``. Raises :class:`PluginError` (one line) when a plugin's
    ``max_zoom`` fails or returns no number (NaN included).
    """
    cls = registry.op_class(op.name)
    declared = getattr(cls, "max_zoom", None)
    if not callable(declared):
        return 1.0
    try:
        zoom = float(declared(dict(op.params)))
        if math.isnan(zoom):
            raise ValueError("returned NaN")
    except Exception as err:  # a plugin's method: any failure is the plugin's, reported in one line
        plugin = registry.plugin_of(cls.__module__)
        origin = f" (a bug of {plugin.label()})" if plugin is not None else ""
        raise PluginError(f"{op.name}.max_zoom({op.params}) failed: {type(err).__name__}: {first_line(str(err))} "
                          f"(it must return how far the op enlarges, a number >= 1){origin}") from None
    return max(1.0, min(zoom, MAX_ZOOM))


class Policy:
    """A resolved policy compiled to albumentations pipelines; call it on a product's photos."""

    def __init__(self, resolved: ResolvedPolicy, registry: Registry | None = None):
        import albumentations as A

        self._registry = registry or get_registry()
        self.resolved = resolved
        spec = resolved.spec
        self.spec = spec
        reg = self._registry
        self._preprocess = _SeededPipeline(A.Compose(_build_ops(spec.preprocess, reg)))
        zooms = [op_zoom(op, reg) for op in spec.local_set] if spec.source_size == "auto" else []
        self._zoom = min(max(zooms, default=1.0), MAX_ZOOM)
        #: Position in A_i of its last zooming op (the shrink to the working size follows it), or None.
        self.last_zooming_op: int | None = max((i for i, z in enumerate(zooms) if z > 1.0), default=None)
        # per_photo: A_i once per source photo, its views crop that; per_view: A_i inside every view.
        self._per_photo = spec.local_set_draws == "per_photo"
        self._local = _SeededPipeline(A.Compose(self._local_ops())) if self._per_photo else None
        self._groups: dict[str, list[_SeededPipeline]] = {}
        for group_name, group in self._named_groups():
            self._groups[group_name] = [
                _SeededPipeline(self._view_compose(group, index))
                for index in range(len(group.per_view) or 1)
            ]

    # -- structure ---------------------------------------------------------------------
    def _named_groups(self) -> list[tuple[str, ViewGroup]]:
        space = self.spec.global_space
        return [("high_res", space.high_res), ("low_res", space.low_res)]

    def _local_ops(self) -> list[Any]:
        """A_i's ops, with the shrink to the working size after its last zooming op (if any); a
        zooming op with a ``min_window`` gets the working size there."""
        from skill_aug.ops import ShrinkToShorterSide

        ops = _build_ops(self.spec.local_set, self._registry)
        if self.last_zooming_op is None:
            return ops
        for op in ops:
            if hasattr(op, "min_window"):  # a close-up holds at least the working size of pixels
                op.min_window = self.working_size
        # a zooming op means zoom > 1, so H(x) arrives above the working size: shrink after the op
        ops.insert(self.last_zooming_op + 1, ShrinkToShorterSide(self.working_size))
        return ops

    def _view_compose(self, group: ViewGroup, index: int) -> Any:
        """(A_i, when drawn per view,) then G's crop to the group's size, then G's ops for view ``index``."""
        import albumentations as A

        from skill_aug.ops import AntialiasedResizedCrop

        crop = AntialiasedResizedCrop(size=(group.size, group.size), scale=group.scale, ratio=group.ratio, p=1.0)
        local = [] if self._per_photo else [A.Compose(self._local_ops(), p=1.0)]
        return A.Compose([*local, crop, *_build_ops(group.ops_for_view(index), self._registry)])

    @property
    def task(self) -> str | None:
        """The product type this policy was made for (``None`` for task-free recipes)."""
        return self.spec.task

    @property
    def n_global(self) -> int:
        """Number of high-resolution views per product (x1, x2, …)."""
        return self.spec.global_space.high_res.count

    @property
    def n_local(self) -> int:
        """Number of low-resolution views per product (c)."""
        return self.spec.global_space.low_res.count

    @property
    def high_res_size(self) -> int:
        """Side of the high-resolution views in pixels."""
        return self.spec.global_space.high_res.size

    @property
    def low_res_size(self) -> int:
        """Side of the low-resolution views in pixels."""
        return self.spec.global_space.low_res.size

    @property
    def registry(self) -> Registry:
        """The plugin registry the policy's ops come from."""
        return self._registry

    @property
    def working_size(self) -> int:
        """Shorter side (px) of the image A_i and G run on: larger photos are scaled down after H."""
        return self.spec.resolved_working_size

    @property
    def zoom(self) -> float:
        """How far A_i can enlarge part of H(x): its zooming ops' deepest ``max_zoom`` (``RegionCrop``:
        1 / the smallest window), at most ``MAX_ZOOM``; 1 when no op of A_i zooms in, or when the
        policy says ``source_size: working``."""
        return self._zoom

    @property
    def source_size(self) -> int:
        """Shorter side (px) H(x) is kept at for A_i: the working size × :attr:`zoom`, so that a
        close-up still holds the working size of the photo's own pixels (when the photo has them)."""
        return math.ceil(self.working_size * self._zoom)

    @property
    def sources(self) -> dict[str, str]:
        """Where each part came from: the file and line, or the plugin and distribution."""
        return dict(self.resolved.sources)

    # -- applying ----------------------------------------------------------------------
    def preprocess(self, image: np.ndarray, seed: int = 0) -> np.ndarray:
        """H applied to one source photo, scaled down to the source size (never up): what A_i starts from."""
        done = self._preprocess(_check_image(image), seed)
        if min(done.shape[:2]) < DEFAULT_MIN_SIDE:
            # H cropped to a speck (a near-empty photo): A_i gets no less than a photo read_image returns,
            # since ops with a grid (GridDistortion) divide by the side
            return grow_to_shorter_side(done, DEFAULT_MIN_SIDE)
        return shrink_to_shorter_side(done, self.source_size)

    def __call__(
        self, images: Sequence[np.ndarray], rng: np.random.Generator | int | None = None,
        preprocessed: Sequence[bool] = (),
    ) -> MultiView:
        """Views of one product from its photos: x′ = ``images[0]``, x″ = ``images[1]`` (or x′).

        ``preprocessed[i]`` says ``images[i]`` already is H(x) at the source size (read from
        a prepared catalogue): H is then skipped for it; the views draw the same numbers.
        """
        if len(images) == 0:
            raise ValueError("a policy needs at least one photo of the product")
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        space = self.spec.global_space
        n_seeds = 2 + space.high_res.count + space.low_res.count
        seeds = [int(s) for s in gen.integers(0, 2**63 - 1, size=n_seeds)]

        def source(i: int) -> np.ndarray:
            done = i < len(preprocessed) and preprocessed[i]
            return _check_image(images[i]) if done else self.preprocess(images[i], seeds[i])

        sources = [source(0)]
        sources.append(source(1) if len(images) > 1 else sources[0])
        seeds = seeds[2:]
        if self._local is not None:
            # A_i(x′) and A_i(x″): two draws even when x″ is x′ (Eq. 1 pairs two draws)
            local_seeds = [int(s) for s in gen.integers(0, 2**63 - 1, size=2)]
            sources = [self._local(source, seed) for source, seed in zip(sources, local_seeds)]

        high = self._groups["high_res"]
        global_views = [
            high[i % len(high)](sources[i % 2], seeds[i]) for i in range(space.high_res.count)
        ]
        seeds = seeds[space.high_res.count:]
        low = self._groups["low_res"]
        local_views = [low[i % len(low)](sources[0], seeds[i]) for i in range(space.low_res.count)]
        return MultiView(global_views, local_views)

    # -- variants and serialisation ----------------------------------------------------
    def replace(self, **changes: Any) -> "Policy":
        """A new policy with fields of the spec replaced (e.g. ``local_set=()``)."""
        spec = dataclasses.replace(self.spec, **changes)
        return Policy(ResolvedPolicy(spec, self.sources), self._registry)

    def with_view_sizes(self, high: int, low: int) -> "Policy":
        """The same policy at other view sizes (e.g. 64 and 32 px instead of 224 and 96)."""
        space = self.spec.global_space
        return self.replace(global_space=GlobalSpace(
            dataclasses.replace(space.high_res, size=high),
            dataclasses.replace(space.low_res, size=low),
        ))

    def with_view_counts(self, n_global: int | None = None, n_local: int | None = None) -> "Policy":
        """The same policy with other view counts (per-view ops are cycled/truncated)."""
        space = self.spec.global_space

        def regroup(group: ViewGroup, count: int | None) -> ViewGroup:
            if count is None:
                return group
            per_view = tuple(group.per_view[i % len(group.per_view)] for i in range(count)) \
                if group.per_view else ()
            return dataclasses.replace(group, count=count, per_view=per_view)

        return self.replace(global_space=GlobalSpace(
            regroup(space.high_res, n_global), regroup(space.low_res, n_local)))

    def to_document(self) -> dict[str, Any]:
        """The fully resolved policy as plain data (every op, every parameter)."""
        return spec_to_document(self.spec)

    def to_yaml(self) -> str:
        """The fully resolved policy as YAML that :func:`load_policy` reads back unchanged."""
        return yaml.safe_dump(self.to_document(), sort_keys=False, default_flow_style=None,
                              width=100)

    def pipelines(self) -> dict[str, Any]:
        """The compiled albumentations pipelines, by name, ready for ``A.save``."""
        named: dict[str, Any] = {"preprocess": self._preprocess.compose}
        if self._local is not None:
            named["local_set"] = self._local.compose
        for group_name, pipes in self._groups.items():
            for i, pipe in enumerate(pipes):
                named[group_name if len(pipes) == 1 else f"{group_name}_{i + 1}"] = pipe.compose
        return named

    def __repr__(self) -> str:
        return (f"Policy(name={self.spec.name!r}, task={self.task!r}, "
                f"views={self.n_global}×{self.high_res_size}px + {self.n_local}×{self.low_res_size}px)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and self.spec == other.spec

    def __getstate__(self) -> dict[str, Any]:
        # Workers rebuild from the spec; the registry is process-local.
        return {"resolved": self.resolved}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["resolved"])  # type: ignore[misc]


def _check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 \
            or image.dtype != np.uint8:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"a photo must be an HxWx3 uint8 RGB array, got shape {shape} dtype {dtype}")
    return image


def load_policy(path_or_task: str | Path) -> Policy:
    """Load a policy file (``policies/dress.yaml``), or a product type's default by name."""
    registry = get_registry()
    candidate = Path(path_or_task)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return Policy(resolve_policy_file(candidate, registry), registry)
    return policy_for_task(str(path_or_task))


def policy_for_task(task: str) -> Policy:
    """The default policy of an installed product type (its plugin's local set and H)."""
    registry = get_registry()
    return Policy(resolve_task(task, registry), registry)
