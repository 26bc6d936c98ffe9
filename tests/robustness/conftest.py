"""The robustness suite's fixtures: the real CLIs behind one driver process, a tiny catalogue
(one of its photos unreadable), a tiny preset and one finished run, shared by every test.

Every refusal is checked the same way (:func:`assert_refused`): a non-zero exit, exactly one
line on stderr (``error: ...`` naming what is wrong), no traceback, and files untouched.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")
PATTERNS = ("plain", "stripes", "dots", "checks")


def subprocess_env() -> dict[str, str]:
    """The environment a CLI subprocess runs in: this checkout importable, wide plain output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.update(COLUMNS="200", NO_COLOR="1", SKILL_AUG_DEBUG="")
    return env


@dataclass
class Result:
    """What one command did: exit code, stdout, stderr."""

    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        """The non-empty lines of stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]


class Driver:
    """One long-lived process running ``skill`` / ``skill-aug`` invocations (see driver.py)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=subprocess_env(), text=True, cwd=REPO)
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def __call__(self, cli: str, *argv: object, cwd: Path | None = None, env: dict | None = None) -> Result:
        request = {"cli": cli, "argv": [str(a) for a in argv], "cwd": str(cwd) if cwd else None, "env": env or {}}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the driver died running {request}"
        return Result(**json.loads(answer))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def cli() -> Iterator[Driver]:
    """``cli("skill", "train", ...)`` → :class:`Result`; the real CLI in a subprocess."""
    driver = Driver()
    yield driver
    driver.close()


def fresh_process(module: str, *argv: object, cwd: Path | None = None) -> Result:
    """``python -m MODULE ARGV`` in a new process (slow: use for the few cases that need one)."""
    done = subprocess.run([sys.executable, "-m", module, *map(str, argv)], capture_output=True, text=True,
                          env=subprocess_env(), cwd=cwd or REPO, timeout=120)
    return Result(done.returncode, done.stdout, done.stderr)


def tree_hashes(*paths: Path) -> dict[str, str]:
    """SHA-256 of every file under ``paths`` (a missing path hashes as missing)."""
    hashes: dict[str, str] = {}
    for root in paths:
        files = sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).is_dir() else [Path(root)]
        for f in files:
            hashes[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else "missing"
    return hashes


def assert_refused(result: Result, *fragments: str, lines: int = 1) -> None:
    """Non-zero exit, exactly ``lines`` stderr lines (``error: ...`` for one), no traceback, each fragment said."""
    assert result.code != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert len(result.error_lines) == lines, result.stderr
    if lines == 1:
        assert result.error_lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def _photo(pattern: str, shade: int, photo: int) -> np.ndarray:
    image = np.full((40, 40, 3), 245, np.uint8)
    yy, xx = np.mgrid[:28, :28]
    ink = {"plain": np.zeros((28, 28), bool), "stripes": yy % 5 < 2, "dots": (yy % 6 < 2) & (xx % 6 < 2),
           "checks": (yy % 7 == 0) | (xx % 7 == 0)}[pattern]
    image[6 + photo : 34 + photo, 6:34] = np.where(ink[..., None], 40, shade)
    return image


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory) -> Path:
    """24 products (4 patterns × 3 designs × 2 colourways), 2 photos each; one photo is not an image."""
    root = tmp_path_factory.mktemp("catalogue")
    rows = []
    for pattern in PATTERNS:
        for design in range(3):
            for colour, shade in (("light", 200), ("dark", 90)):
                pid = f"{pattern}-{design}-{colour}"
                (root / pid).mkdir()
                for photo in range(2):
                    Image.fromarray(_photo(pattern, shade + design, photo)).save(root / pid / f"{photo:02d}.png")
                rows.append({"product_id": pid, "pattern": pattern, "design_id": f"{pattern}-{design}", "color": colour})
    (root / "dots-1-dark" / "01.png").write_bytes(b"not a png at all")  # the unreadable photo
    with open(root / "attributes.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """A folder with the tiny preset (``tiny.yaml``) and a tiny policy (``policy.yaml``)."""
    root = tmp_path_factory.mktemp("work")
    values = yaml.safe_load((REPO / "skill_train" / "presets" / "cpu.yaml").read_text())
    values.update(arch="vit_tiny_patch16_224", arch_overrides={"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
                  high_res_size=32, low_res_size=16, n_local=2, epochs=2, batch_size=8, workers=0, threads=1,
                  warmup_epochs=1)
    values["method_options"].update(out_dim=32, head_hidden_dim=32, head_bottleneck_dim=16)
    (root / "tiny.yaml").write_text(yaml.safe_dump(values))
    (root / "policy.yaml").write_text("name: tiny\nglobal_space:\n  base: dino\n")
    return root


def train_args(catalogue: Path, workdir: Path, *more: object) -> list[object]:
    """``skill train`` on the tiny catalogue with the tiny preset and policy, on the CPU."""
    return ["train", "--data", catalogue, "--policy", workdir / "policy.yaml", "--preset", workdir / "tiny.yaml",
            "--device", "cpu", *more]


@pytest.fixture(scope="session")
def finished_run(cli, catalogue, workdir) -> Path:
    """A run of one step (its end-of-run k-NN met the unreadable photo); treat as read-only."""
    run = workdir / "run"
    result = cli("skill", *train_args(catalogue, workdir, "--out", run, "--max-steps", 1))
    assert result.code == 0, result.stderr
    return run
