"""A run folder: the one place that knows its file names and reads and writes them.

    >>> run = RunDir("runs/curtains-20260101-120000")
    >>> run.config            # Path of config.yaml; also policy, checkpoint, backbone, summary, ...
    >>> cfg = run.load_config()                  # TrainConfig (validated)
    >>> run.write_summary({...}); run.read_summary()
    >>> run.is_finished()                       # summary says finished and the backbone is exported

Every write is atomic (:mod:`skill_aug.atomic`): a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill_aug.atomic import atomic_write_text

if TYPE_CHECKING:
    from skill_train.run.config import TrainConfig

RUNS_ROOT = Path("runs")


class RunDir:
    """The files of one training run, by what they hold.

    ``config.yaml`` (the resolved :class:`TrainConfig`), ``policy.yaml`` (the resolved
    augmentation policy), ``checkpoint.pt`` (exact-resume state), ``metrics.jsonl`` (one line
    per step), ``summary.json`` (status, throughput, held-out k-NN), ``backbone.safetensors``
    + ``model_config.json`` (the exported timm backbone), and what evaluation caches beside
    them: ``embeddings.npz``, ``eval.json`` and ``search-index/``.
    """

    CONFIG = "config.yaml"
    POLICY = "policy.yaml"
    CHECKPOINT = "checkpoint.pt"
    METRICS = "metrics.jsonl"
    SUMMARY = "summary.json"
    BACKBONE = "backbone.safetensors"
    MODEL_CONFIG = "model_config.json"
    EMBEDDINGS = "embeddings.npz"
    EVAL = "eval.json"
    SEARCH_INDEX = "search-index"

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # -- the files -------------------------------------------------------------------------
    @property
    def config(self) -> Path:
        """``config.yaml``."""
        return self.path / self.CONFIG

    @property
    def policy(self) -> Path:
        """``policy.yaml``."""
        return self.path / self.POLICY

    @property
    def checkpoint(self) -> Path:
        """``checkpoint.pt``."""
        return self.path / self.CHECKPOINT

    @property
    def metrics(self) -> Path:
        """``metrics.jsonl``."""
        return self.path / self.METRICS

    @property
    def summary(self) -> Path:
        """``summary.json``."""
        return self.path / self.SUMMARY

    @property
    def backbone(self) -> Path:
        """``backbone.safetensors``."""
        return self.path / self.BACKBONE

    @property
    def model_config(self) -> Path:
        """``model_config.json``."""
        return self.path / self.MODEL_CONFIG

    @property
    def embeddings(self) -> Path:
        """``embeddings.npz`` (cached by ``skill compare``)."""
        return self.path / self.EMBEDDINGS

    @property
    def eval(self) -> Path:
        """``eval.json`` (cached by ``skill compare``)."""
        return self.path / self.EVAL

    @property
    def search_index(self) -> Path:
        """``search-index/`` (cached by ``skill search``)."""
        return self.path / self.SEARCH_INDEX

    # -- state -----------------------------------------------------------------------------
    def has_checkpoint(self) -> bool:
        """Whether a checkpoint to resume from is here."""
        return self.checkpoint.is_file()

    def has_config(self) -> bool:
        """Whether a ``config.yaml`` is here (the folder was written by a run)."""
        return self.config.is_file()

    def is_finished(self) -> bool:
        """Whether the summary says the run finished and the backbone is exported."""
        if not self.summary.is_file() or not self.backbone.is_file():
            return False
        return self.read_summary().get("status") == "finished"

    # -- reading ---------------------------------------------------------------------------
    def config_values(self) -> dict[str, Any]:
        """``config.yaml`` as a plain mapping (``{}`` when there is none); bad YAML is a ConfigError."""
        from skill_train.run.config import read_mapping

        return read_mapping(self.config) if self.has_config() else {}

    def load_config(self) -> "TrainConfig":
        """``config.yaml`` as a validated :class:`TrainConfig`."""
        from skill_train.run.config import TrainConfig

        return TrainConfig.from_yaml(self.config)

    def read_summary(self) -> dict[str, Any]:
        """``summary.json`` as a mapping."""
        return json.loads(self.summary.read_text(encoding="utf-8"))

    # -- writing ---------------------------------------------------------------------------
    def create(self) -> "RunDir":
        """Make the folder (and its parents)."""
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    def write_config(self, cfg: "TrainConfig") -> None:
        """Save ``cfg`` as ``config.yaml`` (``resume`` off: the file describes the run, not an invocation)."""
        atomic_write_text(self.config, cfg.replace(resume=False).to_yaml())

    def write_policy(self, policy: Any) -> None:
        """Save the resolved policy as ``policy.yaml``."""
        atomic_write_text(self.policy, policy.to_yaml())

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Save ``summary.json`` (indented; NaN and infinities as JSON's ``NaN``/``Infinity``, as Python writes them)."""
        atomic_write_text(self.summary, json.dumps(summary, indent=2) + "\n")

    # -- finding runs ----------------------------------------------------------------------
    @classmethod
    def latest(cls, root: Path = RUNS_ROOT) -> "RunDir | None":
        """The run under ``root`` whose checkpoint was written last, or None."""
        candidates = sorted(Path(root).glob(f"*/{cls.CHECKPOINT}"), key=lambda p: p.stat().st_mtime)
        return cls(candidates[-1].parent) if candidates else None
