"""Policy YAML ⇄ :class:`PolicySpec`: read with line numbers, resolve, check, write back.

Reading follows a file's ``extends`` chain and keeps the file and line of every value;
resolving fills what the policy leaves out from its product type's plugin (``task``:
preprocessing H and local set A_i) and from the global space it starts from
(``global_space: {base: skill}``, the default, or ``base: dino``); checking yields a
:class:`PolicySpec` or one ``FILE:LINE: problem (fix)`` per problem; :func:`spec_to_document`
writes a spec back as plain data, every parameter shown. Every op is checked against the
registry: its name, every argument name, ``p`` written and in range, and the values
albumentations itself accepts (constructed with ``strict=True``).

``global_space: {preset: ...}`` is the old spelling of ``base``, still read with the same
result; a file that gives both is an error.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skill_aug.errors import PolicyError, SkillAugError, first_line
from skill_aug.plugins import Registry, make_op, suggest
from skill_aug.spaces import dino_global_space, skill_global_space
from skill_aug.spec import LOCAL_SET_DRAWS, SOURCE_SIZES, GlobalSpace, OpSpec, PolicySpec, ViewGroup, derived_working_size
from skill_aug.yaml_lines import KeyPath, LocatedDocument, merge_documents, read_located_yaml

TOP_LEVEL_KEYS = (
    "name", "description", "extends", "task", "preprocess", "working_size", "source_size", "local_set",
    "local_set_draws", "global_space",
)
GLOBAL_KEYS = ("base", "high_res", "low_res")
GROUP_KEYS = ("count", "size", "scale", "ratio", "ops", "per_view")
#: The global spaces a policy may start from (``global_space: {base: NAME}``).
BASES = {"skill": skill_global_space, "dino": dino_global_space}
#: The old spelling of ``global_space.base``, still read.
OLD_BASE_KEY = "preset"
# The views of one product, uint8 RGB: the paper's 2 x 224 + 10 x 96 px take 0.6 MiB; a batch
# holds hundreds of products, so a policy asking for more than this is a mistake, not a plan.
MAX_VIEW_BYTES = 128 * 2**20
# Pixel sizes, kernel sizes, counts and strengths of image ops all stay far below this; a
# larger number (a 999999999 px blur kernel) passes albumentations' checks and then hangs.
MAX_PARAM = 65_536
#: Bounds of a stated ``working_size`` (px, shorter side): below, even the 32 px views of the
#: CPU preset would be upsampled; above, no photo a catalogue reader returns is that large.
WORKING_SIZE_RANGE = (32, 8192)
#: What ``working_size`` is written as to ask for the derived size.
AUTO = "auto"


@dataclass
class ResolvedPolicy:
    """A validated policy and where each of its parts came from."""

    spec: PolicySpec
    sources: dict[str, str] = field(default_factory=dict)


def spec_to_document(spec: PolicySpec) -> dict[str, Any]:
    """The plain-data (YAML-ready) form of a resolved policy."""

    def ops(items: tuple[OpSpec, ...]) -> list[dict[str, Any]]:
        return [op.to_yaml() for op in items]

    def group(g: ViewGroup) -> dict[str, Any]:
        return {
            "count": g.count, "size": g.size, "scale": list(g.scale), "ratio": list(g.ratio),
            "ops": ops(g.ops), "per_view": [ops(v) for v in g.per_view],
        }

    return {
        "name": spec.name,
        "description": spec.description,
        "task": spec.task,
        "preprocess": ops(spec.preprocess),
        "working_size": spec.resolved_working_size,
        "source_size": spec.source_size,
        "local_set": ops(spec.local_set),
        "local_set_draws": spec.local_set_draws,
        "global_space": {
            "high_res": group(spec.global_space.high_res),
            "low_res": group(spec.global_space.low_res),
        },
    }


def _space_document(space: GlobalSpace) -> dict[str, Any]:
    doc = spec_to_document(PolicySpec("", None, (), (), space))
    return doc["global_space"]


class _Checker:
    """Collects problems while turning a located document into a spec."""

    def __init__(self, doc: LocatedDocument, registry: Registry):
        self.doc = doc
        self.registry = registry
        self.problems: list[str] = []

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(f"{self.doc.where(path)}: {message}")

    # -- ops ---------------------------------------------------------------------------
    def ops(self, value: Any, path: KeyPath) -> tuple[OpSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"'{_dotted(path)}' must be a list of ops "
                               "(e.g. '- ColorJitter: {brightness: 0.4, p: 0.8}')")
            return ()
        return tuple(op for i, item in enumerate(value)
                     if (op := self.op(item, path + (i,))) is not None)

    def op(self, item: Any, path: KeyPath) -> OpSpec | None:
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict) or len(item) != 1:
            self.problem(path, "an op is a one-key mapping: '- OpName: {param: value, p: 0.5}'")
            return None
        (name, params), = item.items()
        path = path + (name,)
        if name not in self.registry.ops:
            self.problem(path, self.registry.missing("op", str(name)))
            return None
        if params is None:
            params = {}
        if not isinstance(params, dict):
            self.problem(path, f"parameters of {name} must be a mapping, e.g. '{name}: {{p: 0.5}}'")
            return None
        info = self.registry.ops[name]
        ok = True
        for key in params:
            if key not in info.params:
                self.problem(path + (key,), f"unknown parameter {key!r} of {name} "
                                            f"({suggest(str(key), info.params)})")
                ok = False
        if "p" not in params:
            self.problem(path, f"{name} has no 'p' (write it explicitly, 0.0–1.0; "
                               "albumentations would silently use 0.5)")
            ok = False
        elif isinstance(params["p"], bool) or not isinstance(params["p"], (int, float)) \
                or not 0.0 <= params["p"] <= 1.0:
            self.problem(path + ("p",), f"{name}.p = {params['p']!r} is not a probability "
                                        "(a number from 0.0 to 1.0)")
            ok = False
        for key, value in params.items():
            if not _bounded(value):
                self.problem(path + (key,), f"{name}.{key} = {value!r}: every number must be finite and "
                                            f"at most {MAX_PARAM:,} in size (no image op uses more)")
                ok = False
        if not ok:
            return None
        try:
            transform = make_op(info.cls, params)
        except (ValueError, TypeError) as err:
            field_name, message = _explain_construction_error(err)
            where = path + (field_name,) if field_name in params else path
            shown = f"{name}.{field_name}" if field_name else name
            self.problem(where, f"{shown}: {message} (see `skill-aug ops` for {name}'s parameters)")
            return None
        failure = _trial_run(info.cls, params)
        if failure:
            # A warning, not an error: ops with absolute pixel arguments may fail on a small
            # photo and still suit the catalogue's; anything else will fail in the run too.
            warnings.warn(f"{self.doc.where(path)}: {name} {failure}", stacklevel=2)
        return OpSpec(name, _resolved_params(transform, params))

    # -- view groups -------------------------------------------------------------------
    def group(self, value: Any, path: KeyPath, minimum_count: int) -> ViewGroup | None:
        if not isinstance(value, dict):
            self.problem(path, f"'{_dotted(path)}' must be a mapping with keys {', '.join(GROUP_KEYS)}")
            return None
        for key in value:
            if key not in GROUP_KEYS:
                self.problem(path + (key,), f"unknown key {key!r} in {_dotted(path)} ({suggest(str(key), GROUP_KEYS)})")
        count = self.integer(value.get("count"), path + ("count",), minimum_count, 64)
        size = self.integer(value.get("size"), path + ("size",), 8, 4096)
        scale = self.pair(value.get("scale"), path + ("scale",), upper=1.0)
        ratio = self.pair(value.get("ratio", [0.75, 1.3333]), path + ("ratio",), upper=None)
        ops = self.ops(value.get("ops"), path + ("ops",))
        per_view_raw = value.get("per_view") or []
        per_view: list[tuple[OpSpec, ...]] = []
        if not isinstance(per_view_raw, list):
            self.problem(path + ("per_view",), "per_view must be a list with one op list per view")
        else:
            if count is not None and len(per_view_raw) > count:
                self.problem(path + ("per_view",), f"per_view lists {len(per_view_raw)} views "
                                                   f"but count is {count} (at most {count})")
            per_view = [self.ops(v, path + ("per_view", i)) for i, v in enumerate(per_view_raw)]
        if None in (count, size, scale, ratio):
            return None
        return ViewGroup(count, size, scale, ratio, ops, tuple(per_view))

    def integer(self, value: Any, path: KeyPath, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(path, f"{_dotted(path)} = {value!r} (an integer from {low} to {high})")
            return None
        return value

    def pair(self, value: Any, path: KeyPath, upper: float | None) -> tuple[float, float] | None:
        bound = f"0 < low ≤ high ≤ {upper}" if upper else "0 < low ≤ high, finite"
        if (
            isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            and 0 < value[0] <= value[1] and (upper is None or value[1] <= upper)
        ):
            return float(value[0]), float(value[1])
        self.problem(path, f"{_dotted(path)} = {value!r} (a pair [low, high] with {bound})")
        return None


def _bounded(value: Any) -> bool:
    """Every number in a parameter value (lists, tuples, mappings too) finite and |x| <= MAX_PARAM."""
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value) and abs(value) <= MAX_PARAM
    if isinstance(value, (list, tuple)):
        return all(_bounded(v) for v in value)
    if isinstance(value, dict):
        return all(_bounded(v) for v in value.values())
    return True


def _trial_photo() -> np.ndarray:
    """A small product photo: a patterned block on a plain studio background (96 x 72 px)."""
    photo = np.full((96, 72, 3), 235, np.uint8)
    yy, xx = np.mgrid[0:64, 0:48]
    photo[16:80, 12:60] = np.where(((yy // 8 + xx // 8) % 2)[..., None] == 1, (180, 40, 60), (40, 60, 160))
    return photo


def _trial_run(cls: type, params: dict[str, Any]) -> str | None:
    """Apply the op (``p`` forced to 1) to a small photo; what went wrong, or ``None``.

    Values an op accepts but cannot use (a fixed crop larger than the photo) show up here, at
    validation, instead of in the middle of a run; so do plugin ops that raise or return
    something other than an image.
    """
    from skill_aug.plugins import blame_plugin

    try:
        transform = make_op(cls, {**params, "p": 1.0})
    except Exception:  # noqa: BLE001 - construction with the written p already succeeded
        return None
    photo = _trial_photo()
    for seed in (0, 1):
        transform.set_random_seed(seed)
        try:
            out = transform(image=photo.copy())["image"]
        except Exception as err:  # noqa: BLE001 - any failure is the op's, reported as one line
            culprit = blame_plugin(err)
            hint = (f"a bug of {culprit}" if culprit else
                    f"a value may be out of its useful range: see `skill-aug ops` for {cls.__name__}'s parameters")
            return (f"fails on a {photo.shape[0]} x {photo.shape[1]} px test photo: {type(err).__name__}: "
                    f"{first_line(str(err))} ({hint})")
        if not (isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3):
            got = f"{getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}".strip()
            return f"returns {got} for a uint8 H x W x 3 photo (an op must return uint8 H x W x 3)"
    return None


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _explain_construction_error(err: Exception) -> tuple[str, str]:
    """(field, message) out of an albumentations/pydantic construction error."""
    errors = getattr(err, "errors", None)
    if callable(errors):  # pydantic.ValidationError
        first = errors()[0]
        field_name = ".".join(str(x) for x in first.get("loc", ()) if isinstance(x, str))
        return field_name, str(first.get("msg", err))
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if len(lines) >= 3 and "validation error" in lines[0]:
        return lines[1], lines[2].split(" [type=")[0]
    return "", lines[0] if lines else type(err).__name__


def _resolved_params(transform: Any, written: dict[str, Any]) -> dict[str, Any]:
    """Every constructor argument with its value, as albumentations serialises it."""
    import albumentations as A

    data = A.to_dict(transform)["transform"]
    data.pop("__class_fullname__", None)
    data.update(written)
    # Constructor order, ``p`` last: reads like the class's own signature.
    order = [k for k in inspect.signature(type(transform).__init__).parameters if k in data]
    # (to_dict may also emit attributes the constructor does not take, e.g. PadIfNeeded's
    # ``padding``; those would not load back, so only constructor arguments are kept.)
    names = [k for k in order if k not in {"p", "strict"}]
    return {**{k: _plain(data[k]) for k in names}, "p": written["p"]}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _with_base_key(doc: LocatedDocument) -> tuple[LocatedDocument, str | None]:
    """``doc`` with ``global_space.preset`` (the old spelling) renamed to ``base``.

    Returns the document (a new one when renamed; ``doc`` itself is left as it is) and the
    problem line when the document gives both keys (``base`` is then kept).
    """
    space = doc.data.get("global_space") if isinstance(doc.data, dict) else None
    if not isinstance(space, dict) or OLD_BASE_KEY not in space:
        return doc, None
    old_path = ("global_space", OLD_BASE_KEY)
    if "base" in space:
        problem = (f"{doc.where(old_path)}: global_space gives both base and {OLD_BASE_KEY} "
                   f"(its old spelling); give only base")
        space = {k: v for k, v in space.items() if k != OLD_BASE_KEY}
        origins = {k: v for k, v in doc.origins.items() if k[:2] != old_path}
        return LocatedDocument({**doc.data, "global_space": space}, origins), problem
    space = {("base" if k == OLD_BASE_KEY else k): v for k, v in space.items()}
    origins = {(("global_space", "base") + k[2:] if k[:2] == old_path else k): v
               for k, v in doc.origins.items()}
    return LocatedDocument({**doc.data, "global_space": space}, origins), None


#: The repository's policy folder: any policy may extend the files in it.
REPO_POLICIES = Path(__file__).resolve().parents[1] / "policies"


def _is_policy_file(path: Path, root: Path) -> bool:
    """Whether ``path`` (resolved) may be extended from a policy in ``root``: a ``.yaml``/``.yml`` file in
    ``root``'s folder tree or in :data:`REPO_POLICIES`."""
    return path.suffix in (".yaml", ".yml") and any(path.is_relative_to(folder) for folder in (root, REPO_POLICIES))


def read_policy_document(path: Path, registry: Registry, _seen: tuple[Path, ...] = ()) -> LocatedDocument:
    """Read ``path`` and the chain of files it ``extends``, merged (later files win).

    Each file's old ``global_space.preset`` is read as ``base`` before merging, so a file's
    ``base`` overrides the ``preset`` of a file it extends, and the other way round.
    """
    doc = read_located_yaml(path)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise PolicyError([f"{path}:1: a policy is a YAML mapping with keys {', '.join(TOP_LEVEL_KEYS)}"])
    doc, problem = _with_base_key(doc)
    if problem:
        raise PolicyError([problem])
    base_ref = doc.data.get("extends")
    if base_ref is None:
        return doc
    if not isinstance(base_ref, str):
        raise PolicyError([f"{doc.where(('extends',))}: extends must be a policy file path or a product type name"])
    base_path = (path.parent / base_ref).resolve()
    if base_path in _seen:
        raise PolicyError([f"{doc.where(('extends',))}: extends forms a cycle through {base_path}"])
    root = (_seen[0] if _seen else path.resolve()).parent
    if base_ref not in registry.product_types and not _is_policy_file(base_path, root):
        # never read it: its lines would come back as "unknown key" problems, in a CI log
        raise PolicyError([f"{doc.where(('extends',))}: extends {base_ref!r} is outside the policy files (a .yaml "
                           f"file under {root} or {REPO_POLICIES}, or a product type name)"])
    if base_path.is_file():
        base = read_policy_document(base_path, registry, _seen + (path.resolve(),))
    elif base_ref in registry.product_types:
        base = LocatedDocument({"task": base_ref}, {("task",): (f"<product type {base_ref}>", 1)})
    else:
        raise PolicyError([f"{doc.where(('extends',))}: extends {base_ref!r} is neither a file next "
                           f"to this policy nor a product type ({suggest(base_ref, registry.product_types)})"])
    data = dict(doc.data)
    data.pop("extends")
    merged = merge_documents(base, LocatedDocument(data, doc.origins))
    return merged


def resolve_document(doc: LocatedDocument, registry: Registry, default_name: str) -> ResolvedPolicy:
    """Validate a (merged) policy document and resolve every default it leaves out."""
    doc, problem = _with_base_key(doc)
    check = _Checker(doc, registry)
    if problem:
        check.problems.append(problem)
    data = doc.data
    sources: dict[str, str] = {}
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            check.problem((key,), f"unknown key {key!r} ({suggest(str(key), TOP_LEVEL_KEYS)})")

    task = data.get("task")
    product_type = None
    if task is not None:
        if not isinstance(task, str):
            check.problem(("task",), f"task = {task!r} (a product type name, or null for none)")
        elif task not in registry.product_types:
            check.problem(("task",), f"{registry.missing('product type', task)}; "
                                     "`skill-aug plugins` lists the installed ones")
        else:
            product_type = registry.product_types[task]
            plugin = registry.product_type_sources[task]
            info = registry.plugins[plugin]
            sources["task"] = f"plugin {plugin} ({info.distribution} {info.version})".strip()

    def stage(key: str, from_type: tuple[OpSpec, ...] | None) -> tuple[OpSpec, ...]:
        if key in data:
            sources[key] = doc.where((key,))
            return check.ops(data[key], (key,))
        if from_type is not None:
            sources[key] = sources["task"]
            # Validate and resolve the plugin's ops like written ones (every parameter shown).
            return check.ops([op.to_yaml() for op in from_type], (key,))
        sources[key] = "none"
        return ()

    preprocess = stage("preprocess", product_type.preprocess if product_type else None)
    local_set = stage("local_set", product_type.local_set if product_type else None)

    space_doc = data.get("global_space") or {}
    global_space = None
    if not isinstance(space_doc, dict):
        check.problem(("global_space",), "global_space must be a mapping with keys high_res, low_res")
    else:
        for key in space_doc:
            if key not in GLOBAL_KEYS:
                check.problem(("global_space", key),
                              f"unknown key {key!r} in global_space ({suggest(str(key), GLOBAL_KEYS)})")
        base = space_doc.get("base", "skill")
        if base not in BASES:
            check.problem(("global_space", "base"),
                          f"unknown global-space base {base!r} (valid: {', '.join(BASES)})")
            base = "skill"
        defaults = _space_document(BASES[base]())
        groups = {}
        for key, minimum in (("high_res", 1), ("low_res", 0)):
            given = space_doc.get(key) or {}
            merged = {**defaults[key], **given} if isinstance(given, dict) else given
            groups[key] = check.group(merged, ("global_space", key), minimum)
        sources["global_space"] = doc.where(("global_space",)) if "global_space" in data else f"base {base}"
        if groups["high_res"] and groups["low_res"]:
            global_space = GlobalSpace(groups["high_res"], groups["low_res"])
            view_bytes = sum(g.count * g.size * g.size * 3 for g in (groups["high_res"], groups["low_res"]))
            if view_bytes > MAX_VIEW_BYTES:
                check.problem(("global_space",),
                              f"the views of one product need {view_bytes / 2**20:,.0f} MiB "
                              f"({groups['high_res'].count} x {groups['high_res'].size} px + "
                              f"{groups['low_res'].count} x {groups['low_res'].size} px, RGB); at most "
                              f"{MAX_VIEW_BYTES // 2**20} MiB: use fewer or smaller views")

    working_size = _working_size(check, data.get("working_size", AUTO), global_space)
    sources["working_size"] = doc.where(("working_size",)) if "working_size" in data else "derived from the views"

    draws = data.get("local_set_draws", LOCAL_SET_DRAWS[0])
    if draws not in LOCAL_SET_DRAWS:
        check.problem(("local_set_draws",), f"local_set_draws = {draws!r} ({' or '.join(LOCAL_SET_DRAWS)}: A_i drawn "
                                            "once per photo and shared by its views, or once per view)")

    source_size = data.get("source_size", SOURCE_SIZES[0])
    if source_size not in SOURCE_SIZES:
        check.problem(("source_size",), f"source_size = {source_size!r} ({' or '.join(SOURCE_SIZES)}: H(x) kept "
                                        "larger for a local set that zooms in, or at the working size)")

    name = data.get("name", default_name)
    description = data.get("description", product_type.description if product_type else "")
    if not isinstance(name, str):
        check.problem(("name",), f"name = {name!r} (a string)")
    if check.problems:
        raise PolicyError(check.problems)
    assert global_space is not None
    spec = PolicySpec(name, task, preprocess, local_set, global_space, str(description or ""), working_size, draws,
                      source_size)
    return ResolvedPolicy(spec, sources)


def _working_size(check: _Checker, value: Any, space: GlobalSpace | None) -> int | None:
    """A stated working size, or ``None`` for the derived one (``auto``, or the derived number itself).

    Writing the derived number back (as every resolved policy does) keeps it derived, so a
    resolved policy whose views are resized later still gets the size its new views need.
    """
    if value is None or value == AUTO:
        return None
    low, high = WORKING_SIZE_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        check.problem(("working_size",), f"working_size = {value!r} (an integer from {low} to {high} px, the "
                                         f"shorter side everything after preprocess runs at; or '{AUTO}')")
        return None
    if space is None:
        return value
    needed = derived_working_size(space)
    if value == needed:
        return None
    if value < needed:
        warnings.warn(f"{check.doc.where(('working_size',))}: working_size {value} is below the {needed} px the "
                      f"views need: their smallest crops will be upsampled ('{AUTO}' derives {needed})", stacklevel=2)
    return value


def resolve_policy_file(path: Path | str, registry: Registry) -> ResolvedPolicy:
    """Read, merge and validate a policy file."""
    path = Path(path)
    doc = read_policy_document(path, registry)
    return resolve_document(doc, registry, default_name=path.stem)


def resolve_task(task: str, registry: Registry) -> ResolvedPolicy:
    """A product type's default policy: SkiLL's global space, its local set and preprocessing."""
    registry.product_type(task)
    doc = LocatedDocument({"task": task, "name": task}, {(): (f"<product type {task}>", 1)})
    try:
        return resolve_document(doc, registry, default_name=task)
    except PolicyError as err:  # a plugin shipped an invalid local set
        plugin = registry.product_type_sources[task]
        raise SkillAugError(f"plugin {plugin!r} registers an invalid policy for {task!r}: "
                            f"{err.problems[0]}") from None
