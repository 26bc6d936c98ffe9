"""The training loop (paper §3.3), readable top to bottom, for any registered method.

    >>> from skill_train.train.loop import TrainConfig, train
    >>> run_dir = train(TrainConfig.from_preset("cpu", task="curtains"))                  # DINO / SkiLL
    >>> run_dir = train(TrainConfig.from_preset("cpu", task="shirt", method="simclr"))   # or "byol"

One optimiser step is: the method's forward and loss → backward → per-parameter clipping →
the method's gradient adjustments (DINO: last layer frozen in the first epoch) → step →
the method's updates (DINO: EMA teacher and loss centre; BYOL: EMA target). With DINO the
student sees every view and the teacher (an EMA of the student) only the two high-res views.
"""

from __future__ import annotations

import contextlib
import math
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import torch
import torch.distributed as dist
from rich.console import Console
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from skill_aug.errors import SkillAugError, first_line
from skill_train.eval.embed import Preprocess
from skill_train.eval.knn import knn_checks
from skill_train.methods import Method
from skill_train.models.device import peak_gpu_memory_gib
from skill_train.models.param_groups import parameter_groups
from skill_train.run.checkpoint import (
    CheckpointError,
    NonFiniteState,
    capture_rng_state,
    check_resume_state,
    first_nonfinite,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from skill_train.run.config import ConfigError, TrainConfig
from skill_train.run.export import export_backbone
from skill_train.run.folder import RUNS_ROOT, RunDir
from skill_train.run.log import RunLog, Throughput, knn_curve, run_summary, summary_tables
from skill_train.schedules import cosine_schedule, scaled_lr
from skill_train.train.build import build_method, initial_backbone
from skill_train.train.data import TrainData, prepare_data
from skill_train.train.distributed import DistContext, broadcast_object, cleanup_distributed, setup_distributed

__all__ = ["TrainConfig", "TrainingDiverged", "TrainingInterrupted", "train"]


class TrainingDiverged(SkillAugError):
    """The loss became NaN or infinite; the last good state was saved first."""


class TrainingInterrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped the run after saving a checkpoint to resume from."""

    def __init__(self, run_dir: Path, step: int):
        super().__init__(f"interrupted after step {step}; checkpoint saved in {run_dir}")
        self.run_dir, self.step = run_dir, step


def train(cfg: TrainConfig) -> Path:
    """Train (or, with ``cfg.resume``, continue) a run; returns its folder.

    Under torchrun every process calls this; only rank 0 writes. Raises
    :class:`TrainingDiverged` on a non-finite loss and :class:`TrainingInterrupted` on Ctrl-C.
    """
    ctx = setup_distributed(cfg.device)
    try:
        return _run(cfg, ctx)
    finally:
        cleanup_distributed()


# -- one optimiser step's pieces -------------------------------------------------------------
def clip_gradients(model: nn.Module, clip: float) -> None:
    """DINO's per-parameter clipping: each gradient rescaled on its own to norm ≤ ``clip``."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if clip <= 0 or not grads:
        return
    norms = torch._foreach_norm(grads)
    torch._foreach_mul_(grads, [torch.clamp(clip / (n + 1e-6), max=1.0) for n in norms])


class StopRequest(contextlib.AbstractContextManager):
    """Turns the first Ctrl-C / SIGTERM into a flag the loop checks after each step."""

    def __init__(self) -> None:
        self.requested = False
        self._saving = False
        self._forced = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopRequest":
        with contextlib.suppress(ValueError):  # signals can only be set in the main thread
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested and signum == signal.SIGINT:
            if self._saving:
                self._forced = True  # raised once the checkpoint and summary are both written
                return
            raise KeyboardInterrupt  # a second Ctrl-C means now
        self.requested = True

    @contextlib.contextmanager
    def saving(self) -> Iterator[None]:
        """A block a second Ctrl-C must not cut in half (checkpoint + summary): it stops right after."""
        self._saving = True
        try:
            yield
        finally:
            self._saving = False
            if self._forced:
                raise KeyboardInterrupt

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _batches(loader: Any) -> Iterator[dict[str, Any]]:
    """``iter(loader)`` without consuming the global torch RNG, so a resumed run draws the same numbers.

    DataLoader workers start here; they inherit an ignored SIGINT, so a terminal's Ctrl-C
    (sent to the whole process group) reaches only the main process, which stops cleanly.
    """
    state = torch.get_rng_state()
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        it = iter(loader)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    torch.set_rng_state(state)
    return it


#: The autocast dtype of each precision :func:`resolve_precision` gives (fp32: no autocast).
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(cfg: TrainConfig, device: torch.device) -> str:
    """The run's autocast precision: fp32 off CUDA; on CUDA the preset's, with auto = bf16 where supported, else fp16."""
    if device.type != "cuda":
        return "fp32"  # autocast is used on CUDA only
    if cfg.precision == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return cfg.precision


# -- the run ---------------------------------------------------------------------------------
def _run_dir(cfg: TrainConfig, task: str | None, ctx: DistContext) -> RunDir:
    """The run folder, checked (nothing is written): a new run needs a missing, empty or checkpoint-less
    run folder; a resumed one a checkpoint."""
    if cfg.out:
        path = Path(cfg.out)
    else:
        path = RUNS_ROOT / f"{task or 'policy'}-{datetime.now():%Y%m%d-%H%M%S}"
    run = RunDir(broadcast_object(str(path), ctx))
    if cfg.resume:
        if not run.has_checkpoint():
            raise CheckpointError(f"--resume {run}: no {RunDir.CHECKPOINT} there to continue from")
    else:
        run.check_new_run()
    return run


def _run(cfg: TrainConfig, ctx: DistContext) -> Path:
    wall_start = time.perf_counter()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.out:  # refuse a folder that is not ours before any work
        _run_dir(cfg, cfg.task, ctx)
    data = prepare_data(cfg, ctx)
    run = _run_dir(cfg, cfg.task or data.policies.name, ctx)
    with run.lock() if ctx.is_main else contextlib.nullcontext(run):
        _run_dir(cfg, cfg.task or data.policies.name, ctx)  # again, now that no other process can write here
        return _train(cfg, ctx, data, run, wall_start)


def _train(cfg: TrainConfig, ctx: DistContext, data: TrainData, run: RunDir, wall_start: float) -> Path:
    """The training itself, in a checked and locked run folder."""
    device = ctx.device
    resume_state = load_checkpoint(run.checkpoint) if cfg.resume else None

    spe = data.steps_per_epoch
    method, model_config = build_method(cfg, data.policy.high_res_size, spe, data.policy.n_local)
    if ctx.distributed and device.type == "cuda":
        # batch statistics over the global batch, as SimCLR and BYOL prescribe (SyncBatchNorm is CUDA-only;
        # on CPU each process normalises its own share of the batch)
        for network in (method.student, method.teacher):
            if network is not None:
                nn.SyncBatchNorm.convert_sync_batchnorm(network)
    method.to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)  # the summary's peak is this run's alone
    if ctx.distributed:
        method.distribute(lambda net: DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None))
    optimizer = torch.optim.AdamW(parameter_groups(method.student))
    precision = resolve_precision(cfg, device)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    autocast_dtype = AUTOCAST_DTYPES.get(precision)

    total_steps = cfg.epochs * spe
    lr_schedule = cosine_schedule(scaled_lr(cfg.base_lr, cfg.batch_size), cfg.min_lr, cfg.epochs, spe, cfg.warmup_epochs)
    wd_schedule = cosine_schedule(cfg.weight_decay, cfg.weight_decay_end, cfg.epochs, spe)
    torch.manual_seed(cfg.seed + 1000 * ctx.rank)  # the drop-path stream, distinct per process

    def state(next_step: int) -> dict[str, Any]:
        rng = capture_rng_state()
        if ctx.distributed:
            all_rng: list[Any] = [None] * ctx.world_size
            dist.all_gather_object(all_rng, rng)
        else:
            all_rng = [rng]
        return {
            **method.state_dict(),  # DINO: student, teacher, dino_loss; BYOL: student, teacher; SimCLR: student
            "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "next_step": next_step,
            "rng": all_rng, "world_size": ctx.world_size, "config": cfg.to_dict(),
        }

    throughput = Throughput()
    last: dict[str, Any] = {}

    def progress(status: str, steps: int) -> dict[str, Any]:
        """The summary of the state a checkpoint holds (the k-NN check comes at the end)."""
        return run_summary(
            run, status=status, method=cfg.method, arch=cfg.arch, steps=steps, epochs_done=steps / spe,
            last=last, method_figures={}, images_per_s=throughput.steady, train_time_s=time.perf_counter() - wall_start,
            wall_time_s=time.perf_counter() - wall_start, device=str(ctx.device), world_size=ctx.world_size,
            precision=precision, knn={},
        )

    def save(next_step: int, status: str) -> None:
        """Checkpoint and summary together: a second Ctrl-C waits until both are written."""
        with stop.saving():
            snapshot = state(next_step)  # collective under DDP: every rank takes part
            if ctx.is_main:
                save_checkpoint(run.checkpoint, snapshot)  # refuses NaN/inf tensors (NonFiniteState)
                run.write_summary(progress(status, next_step))

    stop_at = min(total_steps, cfg.max_steps) if cfg.max_steps else total_steps
    status = "finished" if stop_at == total_steps else f"stopped at --max-steps {cfg.max_steps}"
    start_step = 0
    if resume_state is not None:
        start_step = check_resume_state(resume_state, run.checkpoint, total_steps, ctx.world_size)
        run.check_same_views(data.policies.policies.values(),
                             "start a new run with another --out (resuming would mix two kinds of views)")
        if start_step >= stop_at:
            raise ConfigError(f"{run} is already at step {start_step} of {stop_at}: nothing left to train "
                              f"(raise --epochs or --max-steps)")
        try:
            method.load_state_dict(resume_state)
            optimizer.load_state_dict(resume_state["optimizer"])
            scaler.load_state_dict(resume_state["scaler"])
        except (KeyError, RuntimeError, ValueError, TypeError, SkillAugError) as err:
            first = first_line(str(err))[:240]
            raise CheckpointError(f"{run.checkpoint}: does not fit this run's {cfg.method} networks ({first})") from err
        if len(resume_state["rng"]) == ctx.world_size:
            restore_rng_state(resume_state["rng"][ctx.rank])

    # everything is checked: only now does the folder change
    if ctx.is_main:
        run.write_config(cfg)
        run.write_policy(data.policies)
    log = RunLog(run.path, total_steps, start_step, enabled=ctx.is_main, stat=method.progress_stat)
    log.print(_header(cfg, data, ctx, run.path, total_steps, start_step, precision))

    stop = StopRequest()
    try:
        with stop:
            for epoch in range(start_step // spe, cfg.epochs):
                if epoch * spe >= stop_at:
                    break
                first = start_step - epoch * spe if epoch == start_step // spe else 0
                data.set_epoch(epoch, start_batch=first)
                throughput.restart_clock()
                steps = range(epoch * spe + first, min((epoch + 1) * spe, stop_at))
                for step, batch in zip(steps, _batches(data.loader)):
                    for i, group in enumerate(optimizer.param_groups):
                        group["lr"] = float(lr_schedule[step])
                        if i == 0:  # the regularised group
                            group["weight_decay"] = float(wd_schedule[step])
                    views = [v.to(device, non_blocking=True) for v in batch["global"] + batch["local"]]

                    with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                        out = method.step(views, epoch, step)  # DINO: the teacher sees only the high-res views
                    loss = out.loss

                    flags = torch.tensor([loss.item(), float(stop.requested)], dtype=torch.float64)
                    if ctx.distributed:
                        dist.all_reduce(flags)
                    loss_value, stop_requested = flags[0].item() / ctx.world_size, flags[1].item() > 0
                    if not math.isfinite(loss_value):
                        where = f"the last good state is in {run.checkpoint}"
                        try:
                            save(step, "diverged")
                        except NonFiniteState:  # the weights went bad before the loss did: keep the older save
                            where = (f"the weights were already non-finite, so {run.checkpoint} keeps the last "
                                     "finite state" if run.has_checkpoint() else "no finite state was saved")
                        raise TrainingDiverged(f"loss became {loss_value} at step {step} (epoch {epoch}); {where} "
                                               "(try a lower --lr)")

                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)
                    clip_gradients(method.student, cfg.clip_grad)
                    method.before_optimizer_step(epoch, step)  # DINO: last layer frozen in the first epoch(s)
                    scaler.step(optimizer)
                    scaler.update()
                    updates = method.after_optimizer_step(epoch, step)  # EMA teacher/target, DINO's centre

                    last = {
                        "step": step, "epoch": epoch, "loss": loss_value, "lr": float(lr_schedule[step]),
                        "wd": float(wd_schedule[step]), **updates, **out.stats,
                        "images_per_s": throughput.tick(cfg.batch_size),
                    }
                    if _learning_check_due(cfg, step, spe, stop_at) and ctx.is_main and data.split is not None \
                            and data.attributes:
                        last["knn"] = _learning_check(method, data, cfg, ctx)
                        throughput.restart_clock()  # the check's time is not training time
                    log.step(last)
                    if stop_requested:
                        save(step + 1, "interrupted")
                        raise TrainingInterrupted(run.path, step + 1)
                save(min((epoch + 1) * spe, stop_at), "running")
                throughput.restart_clock()
    finally:
        log.close()

    return _finish(cfg, ctx, data, run, method, model_config, last, stop_at, spe,
                   throughput, status, precision, wall_start)


def _learning_check_due(cfg: TrainConfig, step: int, spe: int, stop_at: int) -> bool:
    """After every ``eval_every``-th epoch's last step, except the run's last (the final check covers it)."""
    epoch_done = (step + 1) % spe == 0
    return bool(cfg.eval_every) and epoch_done and ((step + 1) // spe) % cfg.eval_every == 0 and step + 1 < stop_at


def _knn_args(cfg: TrainConfig, data: TrainData, ctx: DistContext) -> dict[str, Any]:
    """How the held-out k-NN check embeds: the training view size, the policy's H, the run's k and T."""
    return dict(attributes=data.attributes, size=data.policy.high_res_size, device=str(ctx.device),
                k=cfg.knn_k, temperature=cfg.knn_temperature,
                preprocess=Preprocess(data.policies))  # each product's own H


def _learning_check(method: Method, data: TrainData, cfg: TrainConfig, ctx: DistContext) -> dict[str, float]:
    """Held-out k-NN accuracy of the embedding network now (``--eval-every``): the learning signal.

    Under ``fork_rng`` so the check never changes the training's random stream: a run with
    and without checks, or resumed across one, trains identically.
    """
    with torch.random.fork_rng(devices=[ctx.device] if ctx.device.type == "cuda" else []):
        scores, _ = knn_checks(method.embedding_backbone(), data.catalog, data.split, **_knn_args(cfg, data, ctx))
    return {name: block["accuracy"] for name, block in scores.items()}


def _header(cfg: TrainConfig, data: TrainData, ctx: DistContext, run_dir: Path, total: int, start: int,
            precision: str) -> str:
    held_out = f", {len(data.split.test)} held out by {data.split.group_by}" if data.split else ""
    prepared = "".join(f"; H(x) read from the prepared catalogue {store.folder} ({len(store)} photos at "
                       f"{store.source_size} px)" for store in data.prepared.values())
    what = "resuming at step " + str(start) if start else "training"
    policies = data.policies
    policy = f"policy {data.policy.spec.name!r}" if len(policies.policies) == 1 else f"{len(policies.policies)} policies"
    balanced = ", categories balanced" if cfg.balance_categories else ""
    categories = "" if policies.pinned and not policies.counts else f"\n  {policies.summary()}{balanced}"
    return (
        f"{what}: {cfg.method} on {cfg.arch}{' ' + str(cfg.arch_overrides) if cfg.arch_overrides else ''} with {policy} on "
        f"{data.catalog_path} ({len(data.dataset)} products{held_out}); views 2×{data.policy.high_res_size}px + "
        f"{data.policy.n_local}×{data.policy.low_res_size}px; {cfg.epochs} epochs × {data.steps_per_epoch} steps "
        f"of {cfg.batch_size}; {ctx.device} × {ctx.world_size}, {precision}{prepared} → {run_dir}{categories}"
    )


def _finish(cfg: TrainConfig, ctx: DistContext, data: TrainData, run: RunDir, method: Method,
            model_config: dict[str, Any], last: dict[str, Any], steps_done: int, spe: int,
            throughput: Throughput, status: str, precision: str, wall_start: float) -> Path:
    """Export the embedding backbone (DINO: the teacher's), run the held-out k-NN (trained vs random init), write the summary."""
    if not ctx.is_main:
        return run.path
    embedding = method.embedding_backbone()
    bad = first_nonfinite(embedding.state_dict())
    if bad is not None:
        raise TrainingDiverged(f"the trained backbone holds non-finite values ({bad}); nothing was exported "
                               f"(try a lower --lr)")
    export_backbone(embedding, model_config, run)
    train_seconds = time.perf_counter() - wall_start
    knn: dict[str, Any] = {}
    if data.split is not None and data.attributes:
        eval_args = _knn_args(cfg, data, ctx)
        by = cfg.category_column if len(data.catalog.categories(cfg.category_column)) > 1 else None
        trained, trained_by = knn_checks(embedding, data.catalog, data.split, by=by, **eval_args)
        random_init, random_by = knn_checks(initial_backbone(cfg, data.policy.high_res_size), data.catalog,
                                            data.split, by=by, **eval_args)
        for name, result in trained.items():
            result["random_init_accuracy"] = random_init.get(name, {}).get("accuracy", float("nan"))
        for value, report in trained_by.items():
            for name, result in report.items():
                result["random_init_accuracy"] = random_by.get(value, {}).get(name, {}).get("accuracy", float("nan"))
        knn = {"k": cfg.knn_k, "temperature": cfg.knn_temperature, "group_by": data.split.group_by,
               "train_products": len(data.split.train), "test_products": len(data.split.test),
               "photos_per_product": 2, "attributes": trained,
               # the learning signal: every --eval-every check, then this final one
               "curve": knn_curve(run.path) + [{"step": steps_done - 1, "epoch": steps_done / spe,
                                                **{name: r["accuracy"] for name, r in trained.items()}}]}
        if by:  # each category's test products among its own training products
            knn.update(by=by, by_category=trained_by)
    summary = run_summary(
        run, status=status, method=cfg.method, arch=cfg.arch, steps=steps_done, epochs_done=steps_done / spe,
        last=last, method_figures=method.summary(last),  # DINO: ln K, the teacher's entropy and the KL
        images_per_s=throughput.steady, train_time_s=train_seconds, wall_time_s=time.perf_counter() - wall_start,
        device=str(ctx.device), world_size=ctx.world_size, precision=precision, knn=knn,
        peak_gpu_memory_gib=peak_gpu_memory_gib(ctx.device),
    )
    run.write_summary(summary)
    for table in summary_tables(summary):
        Console().print(table)
    return run.path
