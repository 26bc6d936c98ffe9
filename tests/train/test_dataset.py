"""ProductDataset, collate_views, EpochSampler and build_loader on a small real catalogue."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Subset

from skill_aug import policy_for_task
from skill_aug.catalog import Catalog, CatalogWarning
from skill_aug.errors import SkillAugError
from skill_train.eval.transform import IMAGENET_MEAN, IMAGENET_STD
from skill_train.train.dataset import EpochSampler, ProductDataset, WorkerInit, build_loader, collate_views

N_GOOD = 12  # products p00..p11 with 3 readable photos each


def _colour(product: int, photo: int) -> tuple[int, int, int]:
    """A colour that names its product and photo, so a view tells where it came from."""
    return (product * 20, photo * 80, 7)


@pytest.fixture(scope="module")
def catalog_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    for k in range(N_GOOD):
        folder = root / f"p{k:02d}"
        folder.mkdir()
        for j in range(3):
            Image.new("RGB", (48, 48), _colour(k, j)).save(folder / f"{j}.png")
    one = root / "q_one_good"  # one readable photo among broken ones
    one.mkdir()
    Image.new("RGB", (48, 48), (250, 250, 250)).save(one / "1.png")
    (one / "0.jpg").write_bytes(b"")
    (one / "2.jpg").write_text("not a photo")
    bad = root / "z_all_bad"  # no readable photo at all
    bad.mkdir()
    (bad / "0.jpg").write_bytes(b"")
    (bad / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


@pytest.fixture(scope="module")
def good_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Readable, textured photos only (solid colours could make two crops equal by chance)."""
    root = tmp_path_factory.mktemp("good")
    rng = np.random.default_rng(0)
    for k in range(N_GOOD):
        (root / f"p{k:02d}").mkdir()
        for j in range(3):
            Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(root / f"p{k:02d}" / f"{j}.png")
    return root


@pytest.fixture(scope="module")
def dress_policy():
    return policy_for_task("dress").with_view_sizes(high=32, low=16)


class ProbePolicy:
    """Views that keep the source photo's colour (to see which photos x′, x″ were) plus one
    pixel drawn from ``rng`` (to see that the seed reaches the policy)."""

    n_global, n_local, high_res_size, low_res_size = 2, 2, 16, 8

    def __call__(self, images, rng=None):
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

        def view(image: np.ndarray, size: int) -> np.ndarray:
            out = np.ascontiguousarray(image[:size, :size])
            out[0, 0] = gen.integers(0, 256, 3)
            return out

        second = images[1] if len(images) > 1 else images[0]
        return SimpleNamespace(
            global_views=[view(images[0], 16), view(second, 16)],
            local_views=[view(images[0], 8) for _ in range(self.n_local)],
        )


def _photo_of(view: torch.Tensor) -> tuple[int, int, int]:
    """Undo the normalisation of a centre pixel → the RGB colour of the source photo."""
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    rgb = ((view * std + mean) * 255).round()[:, 5, 5]
    return tuple(int(v) for v in rgb)


# ------------------------------------------------------------------ items
def test_item_layout_and_normalisation(catalog_root: Path) -> None:
    ds = ProductDataset(Catalog.open(catalog_root), ProbePolicy(), seed=0)
    item = ds[3]
    assert item["index"] == 3 and item["unreadable"] == []
    assert len(item["global"]) == 2 and len(item["local"]) == 2
    view = item["global"][0]
    assert view.shape == (3, 16, 16) and view.dtype == torch.float32 and view.is_contiguous()
    assert item["local"][0].shape == (3, 8, 8)
    red, green, blue = _photo_of(view)
    assert red == 60 and blue == 7 and green in (0, 80, 160)
    expected = (torch.tensor(_colour(3, green // 80), dtype=torch.float32) / 255 - torch.tensor(IMAGENET_MEAN)) / torch.tensor(IMAGENET_STD)
    assert torch.allclose(view[:, 5, 5], expected, atol=1e-5)


def test_x_prime_and_x_double_prime_are_distinct_photos(catalog_root: Path) -> None:
    ds = ProductDataset(Catalog.open(catalog_root), ProbePolicy(), seed=0)
    firsts: set[int] = set()
    for epoch in range(8):
        ds.set_epoch(epoch)
        for k in range(N_GOOD):
            item = ds[k]
            a, b = _photo_of(item["global"][0]), _photo_of(item["global"][1])
            assert a[0] == b[0] == 20 * k  # both photos of product k
            assert a != b  # two different photos
            assert _photo_of(item["local"][0]) == a  # local views come from x′
            firsts.add(a[1])
    assert firsts == {0, 80, 160}  # every photo gets its turn as x′


def test_single_readable_photo_serves_as_both(catalog_root: Path) -> None:
    cat = Catalog.open(catalog_root)
    ds = ProductDataset(cat, ProbePolicy(), seed=0)
    with pytest.warns(CatalogWarning, match="skipping unreadable photo"):
        item = ds[cat.product_ids.index("q_one_good")]
    assert _photo_of(item["global"][0]) == _photo_of(item["global"][1]) == (250, 250, 250)
    assert sorted(Path(p).name for p in item["unreadable"]) == ["0.jpg", "2.jpg"]


def test_product_without_readable_photo_is_replaced_deterministically(catalog_root: Path) -> None:
    def build():
        cat = Catalog.open(catalog_root)
        return cat, ProductDataset(cat, ProbePolicy(), seed=5)

    cat, ds = build()
    bad = cat.product_ids.index("z_all_bad")
    with pytest.warns(UserWarning) as caught:
        item = ds[bad]
        again = ds[bad]
    replaced = [w for w in caught if "replaced by another product" in str(w.message)]
    assert len(replaced) == 1 and "z_all_bad" in str(replaced[0].message)  # warned once
    assert item["index"] == bad
    assert {Path(p).name for p in item["unreadable"]} >= {"0.jpg", "1.png"}
    assert _photo_of(item["global"][0]) != (0, 0, 0)
    assert torch.equal(item["global"][0], again["global"][0])
    _, fresh = build()  # a new process-like state: same replacement, same views
    with pytest.warns(UserWarning):
        other = fresh[bad]
    assert all(torch.equal(x, y) for x, y in zip(item["global"] + item["local"], other["global"] + other["local"]))


def test_same_seed_epoch_index_gives_the_same_tensors(good_root: Path, dress_policy) -> None:
    cat = Catalog.open(good_root)
    ds = ProductDataset(cat, dress_policy, seed=0)
    first = ds[4]
    assert [v.shape for v in first["global"]] == [(3, 32, 32)] * 2
    assert [v.shape for v in first["local"]] == [(3, 16, 16)] * dress_policy.n_local
    assert all(torch.equal(a, b) for a, b in zip(first["global"] + first["local"], ds[4]["global"] + ds[4]["local"]))
    ds.set_epoch(1)
    assert not torch.equal(first["global"][0], ds[4]["global"][0])  # another epoch, other views
    ds.set_epoch(0)
    assert torch.equal(first["global"][0], ds[4]["global"][0])  # and back again
    other_seed = ProductDataset(cat, dress_policy, seed=1)
    assert not torch.equal(first["global"][0], other_seed[4]["global"][0])


def test_bad_arguments(good_root: Path) -> None:
    ds = ProductDataset(Catalog.open(good_root), ProbePolicy())
    with pytest.raises(IndexError):
        ds[N_GOOD]
    with pytest.raises(ValueError):
        ds.set_epoch(-1)


# ------------------------------------------------------------------ collate
def test_collate_views_shapes(good_root: Path, dress_policy) -> None:
    ds = ProductDataset(Catalog.open(good_root), dress_policy)
    batch = collate_views([ds[i] for i in (0, 5, 7)])
    assert [tuple(t.shape) for t in batch["global"]] == [(3, 3, 32, 32)] * 2
    assert [tuple(t.shape) for t in batch["local"]] == [(3, 3, 16, 16)] * dress_policy.n_local
    assert batch["index"].dtype == torch.long and batch["index"].tolist() == [0, 5, 7]
    assert batch["unreadable"] == []
    broken = ds[1]
    broken["local"] = broken["local"][:1]
    with pytest.raises(ValueError, match="view counts"):
        collate_views([ds[0], broken])


# ------------------------------------------------------------------ sampler
def test_sampler_ranks_take_disjoint_slices_of_one_permutation() -> None:
    n, world = 23, 3
    samplers = [EpochSampler(n, 2, seed=4, rank=r, world_size=world) for r in range(world)]
    per_rank = [s.rank_indices() for s in samplers]
    assert all(len(idx) == n // world for idx in per_rank)
    flat = [i for idx in per_rank for i in idx]
    assert len(set(flat)) == len(flat)  # disjoint
    permutation = np.random.default_rng([4, 0]).permutation(n)[: (n // world) * world]
    interleaved = [per_rank[r][k] for k in range(n // world) for r in range(world)]
    assert interleaved == permutation.tolist()  # rank r holds every world-th index from r
    assert all(len(s) == s.batches_per_epoch == 3 for s in samplers)  # 7 per rank → 3 full batches
    assert all(len(b) == 2 for b in samplers[0])


def test_sampler_without_drop_last_pads_and_covers_everything() -> None:
    samplers = [EpochSampler(10, 3, seed=0, drop_last=False, rank=r, world_size=4) for r in range(4)]
    per_rank = [[i for b in s for i in b] for s in samplers]
    assert all(len(idx) == 3 for idx in per_rank)  # ceil(10 / 4), padded
    assert set(i for idx in per_rank for i in idx) == set(range(10))
    assert [len(b) for b in EpochSampler(10, 4, drop_last=False)] == [4, 4, 2]


def test_sampler_epochs_and_resume() -> None:
    sampler = EpochSampler(20, 4, seed=0)
    epoch0 = list(sampler)
    assert sorted(i for b in epoch0 for i in b) == list(range(20))
    sampler.set_epoch(1)
    epoch1 = list(sampler)
    assert epoch1 != epoch0
    sampler.start_batch = 3
    assert len(sampler) == 2 and list(sampler) == epoch1[3:]
    sampler.set_epoch(1)
    assert sampler.start_batch == 0 and list(sampler) == epoch1
    assert list(EpochSampler(5, 5, shuffle=False)) == [[0, 1, 2, 3, 4]]
    with pytest.raises(ValueError):
        sampler.start_batch = 6
    with pytest.raises(ValueError):
        EpochSampler(10, 2, rank=2, world_size=2)
    with pytest.raises(SkillAugError, match="no full batch of 8"):
        EpochSampler(10, 8, world_size=2)


# ------------------------------------------------------------------ loader and workers
def _epoch_batches(loader, ds, sampler, epoch: int) -> list[dict]:
    ds.set_epoch(epoch)
    sampler.set_epoch(epoch)
    return list(loader)


def test_two_workers_give_the_same_items_as_none(good_root: Path, dress_policy) -> None:
    cat = Catalog.open(good_root)
    results = {}
    for workers in (0, 2):
        ds = ProductDataset(cat, dress_policy, seed=3)
        sampler = EpochSampler(len(ds), 4, seed=3)
        loader = build_loader(ds, sampler, workers)
        assert loader.persistent_workers == (workers > 0)
        # Two epochs through the same (persistent) workers: the new epoch must reach them.
        results[workers] = [_epoch_batches(loader, ds, sampler, e) for e in (0, 1)]
    for epoch in (0, 1):
        for a, b in zip(results[0][epoch], results[2][epoch]):
            assert torch.equal(a["index"], b["index"])
            assert all(torch.equal(x, y) for x, y in zip(a["global"] + a["local"], b["global"] + b["local"]))
    views = [v for batch in results[2][0] for group in batch["global"] for v in group]
    flat = torch.stack(views).flatten(1)
    assert len(views) == 2 * N_GOOD
    assert torch.unique(flat, dim=0).shape[0] == len(views)  # no augmentation repeated
    assert not torch.equal(results[2][0][0]["global"][0], results[2][1][0]["global"][0])


def test_loader_resumes_mid_epoch_exactly(good_root: Path, dress_policy) -> None:
    ds = ProductDataset(Catalog.open(good_root), dress_policy, seed=0)
    sampler = EpochSampler(len(ds), 2, seed=0)
    loader = build_loader(ds, sampler, workers=0)
    full = _epoch_batches(loader, ds, sampler, 2)
    ds.set_epoch(2)
    sampler.set_epoch(2)
    sampler.start_batch = 4
    assert len(loader) == len(full) - 4
    resumed = list(loader)
    assert [b["index"].tolist() for b in resumed] == [b["index"].tolist() for b in full[4:]]
    assert all(torch.equal(a["local"][0], b["local"][0]) for a, b in zip(resumed, full[4:]))


def test_loader_over_a_torch_subset(good_root: Path) -> None:
    ds = ProductDataset(Catalog.open(good_root), ProbePolicy(), seed=0)
    part = Subset(ds, [1, 3, 5, 7])
    batches = list(build_loader(part, EpochSampler(len(part), 2, seed=0), workers=0))
    assert sorted(i for b in batches for i in b["index"].tolist()) == [1, 3, 5, 7]


def test_loader_does_not_touch_the_global_torch_rng(good_root: Path) -> None:
    ds = ProductDataset(Catalog.open(good_root), ProbePolicy(), seed=0)
    loader = build_loader(ds, EpochSampler(len(ds), 4, seed=0), workers=0)
    state = torch.get_rng_state()
    next(iter(loader))
    assert torch.equal(state, torch.get_rng_state())


def test_worker_init_seeds_are_distinct_and_deterministic() -> None:
    def draw(seed: int, worker: int) -> tuple[float, float, float]:
        WorkerInit(seed)(worker)
        return float(np.random.random()), random.random(), float(torch.rand(()))

    threads = torch.get_num_threads()
    try:
        first = draw(0, 0)
        assert draw(0, 0) == first
        assert all(a != b for a, b in zip(first, draw(0, 1)))
        assert all(a != b for a, b in zip(first, draw(1, 0)))
    finally:
        torch.set_num_threads(threads)
