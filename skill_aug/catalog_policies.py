"""Each product's policy, chosen by its category: one catalogue, many product types (paper: G∘A_i).

    >>> from skill_aug.catalog import Catalog
    >>> from skill_aug.catalog_policies import catalog_policies
    >>> cat = Catalog.open("data/mixed")                  # a `category` column: dress, shirt, shoes
    >>> policies = catalog_policies(cat, category_map={"rug": "wall-art"}, unknown_category="global")
    >>> policies.for_index(0)                            # the Policy of product 0's type
    >>> policies.categories                              # {"dress": 300, "shirt": 300, "shoes": 300}

A product's category (a column, ``category`` by default) names its product type T_i; the
type's installed plugin supplies H and A_i, and every type shares one global space G. One
Policy is built per type and shared by its products. A category no plugin registers is an
error unless it is mapped to an installed type (``category_map``) or ``unknown_category``
says what its products get: ``global`` (G only, no H or A_i) or ``skip`` (left out). A
product with no category counts as the category ``(none)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from skill_aug.catalog import CATEGORY_COLUMN
from skill_aug.errors import CatalogError, SkillAugError
from skill_aug.plugins import Registry, get_registry
from skill_aug.policy import Policy
from skill_aug.policy_document import ResolvedPolicy, resolve_document, resolve_task
from skill_aug.spec import PolicySpec
from skill_aug.yaml_lines import LocatedDocument

__all__ = ["CatalogPolicies", "GLOBAL", "NONE_CATEGORY", "UNKNOWN_CATEGORY_CHOICES", "catalog_policies",
           "categories_of", "category_of", "global_policy", "parse_category_map", "policy_sets_g_only",
           "product_policy"]

#: What products of a category without an installed product type get.
UNKNOWN_CATEGORY_CHOICES = ("error", "global", "skip")
#: The category of a product whose category cell is empty.
NONE_CATEGORY = "(none)"
#: The name of the G-only policy (no H, no A_i) that ``unknown_category="global"`` gives.
GLOBAL = "global"


@dataclass(frozen=True)
class CatalogPolicies:
    """Which policy serves each product of a catalogue, and how categories were mapped to policies.

    ``policies`` holds one :class:`Policy` per product type found (plus ``global`` when
    unknown categories get G only); ``categories`` maps each catalogue category to the name
    of its policy (``None``: skipped); ``products`` gives each product's policy name, in
    catalogue order (``None``: skipped). Every policy has the same view sizes and counts, so
    one batch may mix products of every type.
    """

    policies: Mapping[str, Policy]
    categories: Mapping[str, str | None]
    products: tuple[str | None, ...]
    column: str = CATEGORY_COLUMN
    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.policies:
            raise CatalogError("no policy to train with: every product was skipped")
        shapes = {name: _views(p) for name, p in self.policies.items()}
        first, shape = next(iter(shapes.items()))
        for name, other in shapes.items():
            if other != shape:
                raise CatalogError(
                    f"the policies of one run must share view sizes and counts (a batch mixes types): "
                    f"{first} has {_describe(shape)}, {name} has {_describe(other)}")

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def single(cls, policy: Policy, n_products: int) -> "CatalogPolicies":
        """One policy for every product (``--task`` or a pinned ``--policy``)."""
        spec = getattr(policy, "spec", None)
        name = getattr(policy, "task", None) or getattr(spec, "name", None) or "policy"
        return cls({name: policy}, {}, (name,) * n_products, counts={})

    # -- per product -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.products)

    def for_index(self, index: int) -> Policy:
        """The policy of product ``index`` (a skipped product has none: :meth:`kept` leaves it out)."""
        name = self.products[index]
        if name is None:
            raise CatalogError(f"product {index} was skipped (its category has no product type)")
        return self.policies[name]

    def name_of(self, index: int) -> str | None:
        """The name of product ``index``'s policy (``None``: skipped)."""
        return self.products[index]

    def for_category(self, category: str | None) -> Policy | None:
        """The policy of a product of ``category`` (``None`` when its category is skipped or was never seen)."""
        name = self.categories.get(category or NONE_CATEGORY)
        if name is None and self.pinned:
            return self.first
        return self.policies.get(name) if name is not None else None

    @property
    def kept(self) -> list[int]:
        """The indices of the products that have a policy."""
        return [i for i, name in enumerate(self.products) if name is not None]

    @property
    def skipped(self) -> int:
        """How many products have no policy (``unknown_category="skip"``)."""
        return sum(name is None for name in self.products)

    def subset(self, indices: Iterable[int]) -> "CatalogPolicies":
        """The same mapping over the products at ``indices`` (as :meth:`Catalog.subset`)."""
        return CatalogPolicies(self.policies, self.categories, tuple(self.products[int(i)] for i in indices),
                               self.column, self.counts)

    # -- the run's record --------------------------------------------------------------------
    @property
    def pinned(self) -> bool:
        """One policy serves every product, whatever its category."""
        return not self.categories

    @property
    def first(self) -> Policy:
        """The first policy: every policy shares its view sizes and counts."""
        return next(iter(self.policies.values()))

    @property
    def task(self) -> str | None:
        """The product type when there is one policy, else ``None``."""
        return self.first.task if len(self.policies) == 1 else None

    @property
    def name(self) -> str:
        """A short name: the one policy's, else ``mixed``."""
        return (self.first.task or self.first.spec.name) if len(self.policies) == 1 else "mixed"

    def local_set_sources(self) -> dict[str, str]:
        """Where each policy's local set A_i came from (a plugin, a file, or ``none``)."""
        return {name: p.sources.get("local_set", "none") for name, p in self.policies.items()}

    def summary(self) -> str:
        """One line for people: each category, its products and its policy, and where A_i came from."""
        if self.pinned:
            policy = self.first
            return f"policy {policy.spec.name!r} for every product (local set from {policy.sources.get('local_set', 'none')})"
        parts = []
        sources = self.local_set_sources()
        for category, n in self.counts.items():
            name = self.categories.get(category)
            if name is None:
                parts.append(f"{category} ({n}): skipped")
                continue
            mapped = f" as {name}" if name != category else ""
            parts.append(f"{category} ({n}){mapped}, A_i from {sources[name]}")
        noun = "category" if len(self.counts) == 1 else "categories"
        return f"{len(self.counts)} {noun} by '{self.column}': " + "; ".join(parts)

    def to_document(self) -> dict[str, Any]:
        """The record a run folder keeps (plain data): the column, each category with its products,
        policy and the source of its local set, then each resolved policy."""
        sources = self.local_set_sources()
        return {
            "category_column": self.column,
            "categories": {category: {"products": n, "policy": self.categories.get(category),
                                      "local_set_from": sources.get(self.categories.get(category) or "", "none")}
                           for category, n in self.counts.items()},
            "policies": {name: p.to_document() for name, p in self.policies.items()},
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], registry: Registry | None = None) -> "CatalogPolicies":
        """The mapping a run folder recorded (:meth:`to_document`), over no products: for
        :meth:`for_category` (e.g. each product's H when embedding)."""
        registry = registry or get_registry()
        try:
            policies = {str(name): Policy(resolve_document(LocatedDocument(dict(doc), {(): (f"policies.{name}", 1)}),
                                                           registry, str(name)), registry)
                        for name, doc in dict(document["policies"]).items()}
            categories = {str(c): (None if entry["policy"] is None else str(entry["policy"]))
                          for c, entry in dict(document["categories"]).items()}
            counts = {str(c): int(entry["products"]) for c, entry in dict(document["categories"]).items()}
            column = str(document.get("category_column", CATEGORY_COLUMN))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise CatalogError(f"not a record of a catalogue's policies ({type(err).__name__}: {err})") from None
        return cls(policies, categories, (), column, counts)


def is_policy_record(document: Any) -> bool:
    """Whether a parsed ``policy.yaml`` is a mixed run's record (:meth:`CatalogPolicies.to_document`:
    a policy per category) rather than one policy."""
    return isinstance(document, dict) and "policies" in document and "categories" in document


def _views(policy: Policy) -> tuple[int, int | None, int, int | None]:
    return (policy.n_global, getattr(policy, "high_res_size", None), policy.n_local,
            getattr(policy, "low_res_size", None))


def _describe(shape: tuple[int, int | None, int, int | None]) -> str:
    return f"{shape[0]}×{shape[1]}px + {shape[2]}×{shape[3]}px views"


def parse_category_map(items: Iterable[str], flag: str = "--category-map") -> dict[str, str]:
    """``["rug=wall-art", ...]`` as ``{"rug": "wall-art"}``; a malformed item is an error naming ``flag``."""
    mapping: dict[str, str] = {}
    for item in items:
        category, sep, target = str(item).partition("=")
        if not sep or not category.strip() or not target.strip():
            raise SkillAugError(f"{flag} {item!r}: expected CATEGORY=TYPE (e.g. rug=wall-art)")
        mapping[category.strip()] = target.strip()
    return mapping


def policy_sets_g_only(policy: Policy) -> bool:
    """Whether a policy file gives only a global space G (no task, no H, no A_i written): it then sets
    the G every product type shares instead of serving every product itself."""
    sources = policy.sources
    return policy.task is None and sources.get("preprocess") == "none" and sources.get("local_set") == "none"


def global_policy(registry: Registry | None = None, shared: Policy | None = None) -> Policy:
    """G only (no H, no A_i): the shared G of ``shared``, else SkiLL's default global space."""
    registry = registry or get_registry()
    doc = LocatedDocument({"name": GLOBAL, "task": None}, {(): ("<global space only>", 1)})
    resolved = resolve_document(doc, registry, default_name=GLOBAL)
    if shared is not None:
        resolved = _with_global_space(resolved, shared)
    return Policy(resolved, registry)


def _with_global_space(resolved: ResolvedPolicy, shared: Policy) -> ResolvedPolicy:
    spec = resolved.spec
    spec = PolicySpec(spec.name, spec.task, spec.preprocess, spec.local_set, shared.spec.global_space, spec.description)
    return ResolvedPolicy(spec, {**resolved.sources, "global_space": shared.sources.get("global_space", "?")})


def _category_values(catalog: Any, column: str) -> list[str]:
    if column not in catalog.attribute_names:
        return [NONE_CATEGORY] * len(catalog)
    return [value or NONE_CATEGORY for value in catalog.attribute_values(column)]


def catalog_policies(
    catalog: Any,
    *,
    column: str = CATEGORY_COLUMN,
    category_map: Mapping[str, str] | None = None,
    unknown_category: str = "error",
    shared: Policy | None = None,
    adapt: Callable[[Policy], Policy] | None = None,
    registry: Registry | None = None,
) -> CatalogPolicies:
    """Each product's policy from its category (see the module doc).

    ``shared`` (a G-only policy) gives the global space every type shares (default: SkiLL's);
    ``adapt`` is applied to each policy once (e.g. the trainer's view sizes and counts).
    Raises :class:`CatalogError` for an unknown category with ``unknown_category="error"``,
    for a map to a type that is not installed, and when no product is left.
    """
    registry = registry or get_registry()
    if unknown_category not in UNKNOWN_CATEGORY_CHOICES:
        raise CatalogError(f"--unknown-category {unknown_category!r}: expected one of "
                           f"{', '.join(UNKNOWN_CATEGORY_CHOICES)}")
    category_map = dict(category_map or {})
    for category, target in category_map.items():
        if target not in registry.product_types:
            raise CatalogError(f"--category-map {category}={target}: {registry.missing('product type', target)}")
    values = _category_values(catalog, column)
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    counts = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    types = {c: category_map.get(c, c) for c in counts}
    unknown = {c: n for c, n in counts.items() if types[c] not in registry.product_types}
    if unknown and unknown_category == "error":
        raise CatalogError(_unknown_message(catalog, column, unknown, registry))

    adapt = adapt or (lambda policy: policy)
    policies: dict[str, Policy] = {}
    categories: dict[str, str | None] = {}
    for category in counts:
        if category in unknown:
            if unknown_category == "skip":
                categories[category] = None
                continue
            name = GLOBAL
        else:
            name = types[category]
        if name not in policies:
            policies[name] = adapt(_type_policy(name, registry, shared))
        categories[category] = name
    if not policies:
        raise CatalogError(f"{catalog.source}: every product was skipped (--unknown-category skip): "
                           "nothing to train on")
    return CatalogPolicies(policies, categories, tuple(categories[v] for v in values), column, counts)


def product_policy(catalog: Any, index: int, **mapping: Any) -> Policy:
    """The policy :func:`catalog_policies` gives product ``index`` (``mapping``: its keyword arguments):
    what the trainer augments that product with, e.g. for a preview."""
    policies = catalog_policies(catalog.subset([index]), **mapping)
    if policies.name_of(0) is None:
        raise CatalogError(f"product {catalog.product_ids[index]!r} is skipped (--unknown-category skip): "
                           "it has no policy")
    return policies.for_index(0)


def _type_policy(name: str, registry: Registry, shared: Policy | None) -> Policy:
    if name == GLOBAL:
        return global_policy(registry, shared)
    resolved = resolve_task(name, registry)
    if shared is not None:
        resolved = _with_global_space(resolved, shared)
    return Policy(resolved, registry)


def _unknown_message(catalog: Any, column: str, unknown: Mapping[str, int], registry: Registry) -> str:
    if set(unknown) == {NONE_CATEGORY} and column not in catalog.attribute_names:
        return (f"{catalog.source} has no '{column}' column to name each product's type: give --task (a product "
                f"type), --policy FILE, --category-column NAME or --unknown-category global")
    found = ", ".join(f"{c} ({n})" for c, n in unknown.items())
    installed = ", ".join(sorted(registry.product_types)) or "none"
    example = next((c for c in unknown if c != NONE_CATEGORY), NONE_CATEGORY)
    return (f"{catalog.source}: no installed product type for {len(unknown)} categor"
            f"{'y' if len(unknown) == 1 else 'ies'} of '{column}': {found} (installed: {installed}); install a "
            f"plugin for it, map it (--category-map {example}=TYPE), or give --unknown-category global (G only, no H/A_i) "
            f"or --unknown-category skip")


def category_of(product: Any, column: str = CATEGORY_COLUMN) -> str:
    """A product's category (``(none)`` when it has none)."""
    return dict(product.attributes).get(column) or NONE_CATEGORY


def categories_of(catalog: Any, indices: Sequence[int] | None = None, column: str = CATEGORY_COLUMN) -> list[str]:
    """The category of each product (of ``indices``, or of all), ``(none)`` where empty."""
    values = _category_values(catalog, column)
    return values if indices is None else [values[int(i)] for i in indices]
