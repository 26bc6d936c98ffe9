"""A run folder: the one place that knows its file names and reads and writes them.

    >>> run = RunDir("runs/curtains-20260101-120000")
    >>> run.config            # Path of config.yaml; also policy, checkpoint, backbone, summary, ...
    >>> cfg = run.load_config()                  # TrainConfig (validated)
    >>> run.write_summary({...}); run.read_summary()
    >>> run.is_finished()                       # summary says finished and the backbone is exported

Every write is atomic (:mod:`skill_aug.atomic`): a reader never sees half a file. A training
process holds the folder's lock (:meth:`RunDir.lock`, an OS file lock the kernel releases when
the process dies) for as long as it writes there.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from skill_aug.atomic import atomic_write_text
from skill_train.run.config import ConfigError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs are then unguarded against a second writer
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from skill_train.run.config import TrainConfig

RUNS_ROOT = Path("runs")


class RunFolderError(ConfigError):
    """A folder that cannot be used as this run's folder (not ours, or in use by another process)."""


class RunDir:
    """The files of one training run, by what they hold.

    ``config.yaml`` (the resolved :class:`TrainConfig`), ``policy.yaml`` (the resolved
    augmentation policy), ``checkpoint.pt`` (exact-resume state), ``metrics.jsonl`` (one line
    per step), ``summary.json`` (status, throughput, held-out k-NN), ``backbone.safetensors``
    + ``model_config.json`` (the exported timm backbone), and what evaluation caches beside
    them: ``embeddings.npz``, ``eval.json`` (and ``embeddings-grey.npz``, ``eval-grey.json`` for
    grey input) and ``search-index/``.
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
    LOCK = ".skill-run.lock"
    #: Files a run writes: a folder holding only these (or nothing) is a run folder.
    #: The evaluation caches of grey input (``skill compare --input grey``).
    EMBEDDINGS_GREY = "embeddings-grey.npz"
    EVAL_GREY = "eval-grey.json"
    OWN_FILES = (CONFIG, POLICY, CHECKPOINT, METRICS, SUMMARY, BACKBONE, MODEL_CONFIG, EMBEDDINGS, EVAL,
                 EMBEDDINGS_GREY, EVAL_GREY, SEARCH_INDEX, LOCK)

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

    def embeddings_for(self, input: str) -> Path:
        """The cached embeddings of ``input`` (``colour``: ``embeddings.npz``; ``grey``: ``embeddings-grey.npz``)."""
        return self.path / (self.EMBEDDINGS if input == "colour" else self.EMBEDDINGS_GREY)

    def eval_for(self, input: str) -> Path:
        """The cached evaluation of ``input`` (``colour``: ``eval.json``; ``grey``: ``eval-grey.json``)."""
        return self.path / (self.EVAL if input == "colour" else self.EVAL_GREY)

    @property
    def search_index(self) -> Path:
        """``search-index/`` (cached by ``skill search``)."""
        return self.path / self.SEARCH_INDEX

    @property
    def lock_file(self) -> Path:
        """``.skill-run.lock``: the file a training process locks; it also marks the folder as a run."""
        return self.path / self.LOCK

    # -- state -----------------------------------------------------------------------------
    def has_checkpoint(self) -> bool:
        """Whether a checkpoint to resume from is here."""
        return self.checkpoint.is_file()

    def has_config(self) -> bool:
        """Whether a ``config.yaml`` is here (the folder was written by a run)."""
        return self.config.is_file()

    def is_run_folder(self) -> bool:
        """Whether the folder was made by a run: it holds our lock file, or a checkpoint beside a config
        (runs from before the lock file existed)."""
        return self.lock_file.is_file() or (self.has_checkpoint() and self.has_config())

    def foreign_files(self) -> list[str]:
        """Names in the folder that no run writes (sorted; empty for a missing folder)."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir()
                      if p.name not in self.OWN_FILES and not p.name.startswith("."))

    def check_new_run(self) -> None:
        """Raise :class:`RunFolderError` unless a new run may start here: the folder is missing or empty,
        or it is a run folder without a checkpoint (one that stopped before its first save).

        A folder of someone else's files is never written into, even when their names are a run's.
        """
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"--out {self}: is a file, not a folder (choose another --out)")
        if not self.path.is_dir() or not any(self.path.iterdir()):
            return
        if not self.is_run_folder():
            held = ", ".join(sorted(p.name for p in self.path.iterdir())[:3])
            raise RunFolderError(f"--out {self}: the folder exists and is not a skill run folder (it holds {held}); "
                                 "choose another --out (or --resume a run folder)")
        if self.has_checkpoint():
            raise RunFolderError(f"--out {self}: already holds a run ({self.CHECKPOINT}); pass --resume {self} "
                                 "to continue it or choose another --out")

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

    def views_version(self) -> int:
        """The view pipeline's version that drew this run's views (``summary.json``; 1 for a run
        from before versions were recorded, or with no summary)."""
        if not self.summary.is_file():
            return 1
        try:
            version = self.read_summary().get("views_version", 1)
        except (OSError, ValueError, AttributeError) as err:
            raise RunFolderError(f"{self.summary}: unreadable ({type(err).__name__}); remove the run folder "
                                 "or restore the file") from err
        return version if isinstance(version, int) and not isinstance(version, bool) else 1

    def check_same_views(self, policies: Iterable[Any], advice: str) -> None:
        """Raise :class:`RunFolderError` if a change of the view pipeline since this run was trained
        alters what ``policies`` draw (:mod:`skill_aug.views_version`); ``advice`` ends the message."""
        from skill_aug.views_version import VIEWS_VERSION, changes_since

        policies = list(policies)
        version = self.views_version()
        if version > VIEWS_VERSION:
            raise RunFolderError(f"{self}: trained by a newer skill-aug (views version {version}; this one draws "
                                 f"version {VIEWS_VERSION}); upgrade skill-aug, or {advice}")
        changes = changes_since(version, policies)
        if changes:
            names = ", ".join(sorted({p.spec.name for p in policies if changes[0].alters(p)}))
            raise RunFolderError(
                f"{self}: trained before a change of the views ({changes[0].date}: {changes[0].what}), "
                f"which alters those of policy {names}; {advice}")

    # -- writing ---------------------------------------------------------------------------
    def create(self) -> "RunDir":
        """Make the folder (and its parents)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise RunFolderError(f"{self}: cannot make the run folder (a file stands on its path)") from None
        except OSError as err:
            raise RunFolderError(f"{self}: cannot make the run folder ({err.strerror or err})") from None
        return self

    @contextlib.contextmanager
    def lock(self) -> Iterator["RunDir"]:
        """Hold the folder's lock while the block runs (creating the folder); a second holder is refused.

        The lock is ``flock`` on :attr:`lock_file`, which records the holder's pid. The kernel drops
        it when the holding process ends, however it ends, so a crashed run never blocks its resume.
        """
        self.create()
        try:
            handle = open(self.lock_file, "a+", encoding="utf-8")
        except OSError as err:
            raise RunFolderError(f"{self}: cannot write in the run folder ({err.strerror or err})") from None
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise RunFolderError(f"{self}: in use by another training process (pid {holder}); wait for it "
                                         "to end or choose another --out") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield self
        finally:
            handle.close()  # releases the lock

    def write_config(self, cfg: "TrainConfig") -> None:
        """Save ``cfg`` as ``config.yaml`` (``resume`` off: the file describes the run, not an invocation)."""
        atomic_write_text(self.config, cfg.replace(resume=False).to_yaml())

    def write_policy(self, policy: Any) -> None:
        """Save the resolved policy as ``policy.yaml``.

        ``policy`` is a Policy, or a :class:`~skill_aug.catalog_policies.CatalogPolicies`: with one
        policy it is written as a policy file (headed by a comment on the categories it served), with
        several as a record of each category (products, policy, where its local set came from) and
        each resolved policy.
        """
        import yaml

        policies = getattr(policy, "policies", None)
        if policies is None:
            atomic_write_text(self.policy, policy.to_yaml())
        elif len(policies) == 1:
            atomic_write_text(self.policy, f"# {policy.summary()}\n" + policy.first.to_yaml())
        else:
            atomic_write_text(self.policy, yaml.safe_dump(policy.to_document(), sort_keys=False,
                                                          default_flow_style=None, width=100))

    def load_policies(self) -> Any:
        """``policy.yaml`` as a :class:`~skill_aug.catalog_policies.CatalogPolicies` (one policy, or one
        per category), or ``None`` when the run has none."""
        from skill_aug import load_policy
        from skill_aug.catalog_policies import CatalogPolicies, is_policy_record

        import yaml

        from skill_aug.errors import SkillAugError
        from skill_aug.yaml_lines import load_bounded_yaml

        if not self.policy.is_file():
            return None
        try:
            document, _ = load_bounded_yaml(self.policy.read_text(encoding="utf-8"))
            if is_policy_record(document):
                return CatalogPolicies.from_document(document)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, SkillAugError) as err:
            raise ConfigError(f"{self.policy}: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        return CatalogPolicies.single(load_policy(self.policy), 0)

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Save ``summary.json`` (indented; NaN and infinities as JSON's ``NaN``/``Infinity``, as Python writes them)."""
        atomic_write_text(self.summary, json.dumps(summary, indent=2) + "\n")

    # -- finding runs ----------------------------------------------------------------------
    @classmethod
    def latest(cls, root: Path = RUNS_ROOT) -> "RunDir | None":
        """The run under ``root`` whose checkpoint was written last, or None."""
        candidates = sorted(Path(root).glob(f"*/{cls.CHECKPOINT}"), key=lambda p: p.stat().st_mtime)
        return cls(candidates[-1].parent) if candidates else None
