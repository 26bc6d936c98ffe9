"""Writing a policy out: its resolved YAML and every compiled pipeline via ``A.save``."""

from __future__ import annotations

from pathlib import Path

from skill_aug.atomic import atomic_write, atomic_write_text
from skill_aug.policy import Policy


def export_policy(policy: Policy, out: Path) -> list[Path]:
    """Write ``policy.yaml`` plus ``<pipeline>.yaml`` files loadable by plain albumentations.

    Loading a pipeline that uses custom ops needs their modules imported first (importing a
    transform class is what registers it with albumentations).
    """
    import albumentations as A

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "policy.yaml"]
    atomic_write_text(written[0], policy.to_yaml())
    for name, compose in policy.pipelines().items():
        target = out / f"{name}.yaml"
        atomic_write(target, lambda tmp: A.save(compose, str(tmp), data_format="yaml"))
        written.append(target)
    return written
