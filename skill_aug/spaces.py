"""The global augmentation spaces: SkiLL's colour-agnostic G and DINO's reference recipe.

G_h makes the high-resolution views (x1, x2; the teacher sees these), G_l the low-resolution
views (y1 … yc; student only). Every view is a random resized crop of the locally augmented
photo followed by the group's ops (paper §3.2, Eq. 1–2).
"""

from __future__ import annotations

from skill_aug.spec import GlobalSpace, OpSpec, ViewGroup

#: DINO's crop scales (facebookresearch/dino defaults): global views keep ≥ 40 % of the
#: photo, local views see 5–40 % of it.
HIGH_RES_SCALE = (0.4, 1.0)
LOW_RES_SCALE = (0.05, 0.4)
RATIO = (0.75, 1.3333)


def _skill_colour_ops() -> tuple[OpSpec, ...]:
    # Paper §6: ToGray p=0.5, ColorJitter p=0.8, GaussianBlur p=0.5 make the embedding
    # colour-agnostic. The paper fixes only the probabilities; the hue range is the full
    # circle (±0.5) so that a product's hue carries no signal between its two views.
    return (
        OpSpec("HorizontalFlip", {"p": 0.5}),
        OpSpec(
            "ColorJitter",
            {"brightness": [0.6, 1.4], "contrast": [0.6, 1.4], "saturation": [0.6, 1.4],
             "hue": [-0.5, 0.5], "p": 0.8},
        ),
        OpSpec("ToGray", {"num_output_channels": 3, "method": "weighted_average", "p": 0.5}),
        OpSpec("GaussianBlur", {"blur_limit": [0, 0], "sigma_limit": [0.1, 2.0], "p": 0.5}),
    )


def skill_global_space(
    high_res_size: int = 224, low_res_size: int = 96, n_global: int = 2, n_local: int = 6
) -> GlobalSpace:
    """SkiLL's global space G: the same colour-agnostic ops on every view (paper §6)."""
    ops = _skill_colour_ops()
    return GlobalSpace(
        high_res=ViewGroup(n_global, high_res_size, HIGH_RES_SCALE, RATIO, ops),
        low_res=ViewGroup(n_local, low_res_size, LOW_RES_SCALE, RATIO, ops),
    )


def dino_global_space(
    high_res_size: int = 224, low_res_size: int = 96, n_global: int = 2, n_local: int = 6
) -> GlobalSpace:
    """The vanilla DINO multi-crop recipe with DINO's own probabilities.

    Flip 0.5, ColorJitter(0.4, 0.4, 0.2, 0.1) at 0.8, grayscale 0.2 on every view; blur
    always on the first global view, 0.1 on the second (which alone is solarised at 0.2),
    0.5 on local views.
    """
    shared = (
        OpSpec("HorizontalFlip", {"p": 0.5}),
        OpSpec(
            "ColorJitter",
            {"brightness": [0.6, 1.4], "contrast": [0.6, 1.4], "saturation": [0.8, 1.2],
             "hue": [-0.1, 0.1], "p": 0.8},
        ),
        OpSpec("ToGray", {"num_output_channels": 3, "method": "weighted_average", "p": 0.2}),
    )

    def blur(p: float) -> OpSpec:
        return OpSpec("GaussianBlur", {"blur_limit": [0, 0], "sigma_limit": [0.1, 2.0], "p": p})

    first_view = (blur(1.0),)
    second_view = (blur(0.1), OpSpec("Solarize", {"threshold_range": [0.5, 0.5], "p": 0.2}))
    per_view = tuple(first_view if i % 2 == 0 else second_view for i in range(n_global))
    return GlobalSpace(
        high_res=ViewGroup(n_global, high_res_size, HIGH_RES_SCALE, RATIO, shared, per_view),
        low_res=ViewGroup(n_local, low_res_size, LOW_RES_SCALE, RATIO, shared + (blur(0.5),)),
    )
