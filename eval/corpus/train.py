"""The training loop: trains one configuration with one seed and returns what a logger would
have seen, as a list of records (step records and epoch records, in time order).

Nothing here knows about file formats or labels: styles.py turns records into a log file,
labels.py judges the numbers that file holds."""
from __future__ import annotations

import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from data import Task, make_task
from models import layer_groups, make_model
from spec import Config


class Batches:
    """A data pipeline that yields mini-batches in a seeded order. `stall` makes it sleep before
    each batch from a given epoch on: the stand-in for a data loader that became I/O-bound (a
    network file system, a worker that died, augmentation that moved to the main process). The
    sleep is real, so the logged times are measured, not written."""

    def __init__(self, task: Task, batch_size: int, seed: int, steps_per_epoch=None, stall=None):
        self.task, self.batch_size, self.stall = task, batch_size, stall
        self.gen = torch.Generator().manual_seed(seed)
        if task.kind == 'lm':
            self.context = task.meta['context']
            self.steps = steps_per_epoch
        else:
            self.steps = math.ceil(len(task.x_train) / batch_size)

    def epoch(self, index: int):
        stalled = self.stall is not None and index >= self.stall[0]
        if self.task.kind == 'lm':
            starts = torch.randint(0, len(self.task.x_train) - self.context - 1, (self.steps, self.batch_size),
                                   generator=self.gen)
            for row in starts:
                if stalled:
                    time.sleep(self.stall[1])
                idx = row[:, None] + torch.arange(self.context + 1)
                chunk = self.task.x_train[idx]
                yield chunk[:, :-1], chunk[:, 1:]
            return
        order = torch.randperm(len(self.task.x_train), generator=self.gen)
        for i in range(self.steps):
            if stalled:
                time.sleep(self.stall[1])
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield self.task.x_train[idx], self.task.y_train[idx]


def _optimizer(cfg: Config, params):
    kw = dict(cfg.opt_kw)
    cls = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW,
           'rmsprop': torch.optim.RMSprop}[cfg.optimizer]
    return cls(params, lr=cfg.lr, **kw)


def _scheduler(cfg: Config, opt, steps_per_epoch: int):
    """Returns (scheduler, when) with when in 'step', 'epoch', 'val' (ReduceLROnPlateau) or None."""
    s, kw = cfg.schedule, cfg.sched_kw
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler
    if s == 'constant':
        return None, None
    if s in ('warmup_cosine', 'warmup_linear', 'warmup_constant'):
        warm = max(1, int(kw.get('warmup', 0.05) * total))
        floor = kw.get('min_ratio', 0.0)

        def factor(step):
            if step < warm:
                return (step + 1) / warm
            progress = min(1.0, (step - warm) / max(1, total - warm))
            if s == 'warmup_constant':
                return 1.0
            if s == 'warmup_linear':
                return floor + (1 - floor) * (1 - progress)
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
        return sched.LambdaLR(opt, factor), 'step'
    if s == 'cosine':
        return sched.CosineAnnealingLR(opt, total, eta_min=kw.get('eta_min', 0.0)), 'step'
    if s == 'step':
        return sched.StepLR(opt, kw['step_size'], kw.get('gamma', 0.1)), 'epoch'
    if s == 'multistep':
        return sched.MultiStepLR(opt, kw['milestones'], kw.get('gamma', 0.1)), 'epoch'
    if s == 'onecycle':
        return sched.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total, pct_start=kw.get('pct_start', 0.3)), 'step'
    if s == 'sgdr':
        # T_0 in epochs, stepped with fractional epochs as the PyTorch docs show.
        return sched.CosineAnnealingWarmRestarts(opt, kw['t0'], kw.get('t_mult', 1),
                                                 eta_min=kw.get('eta_min', 0.0)), 'sgdr'
    if s == 'plateau':
        return sched.ReduceLROnPlateau(opt, factor=kw.get('factor', 0.5), patience=kw.get('patience', 3)), 'val'
    raise ValueError(s)


def _loss_fn(cfg: Config, task: Task):
    """The loss as a function of (model output, targets). The odd ones are the genuine bugs and
    variants the corpus needs: log of a softmax (log(0) once it saturates), a hand-written binary
    cross-entropy evaluated in bfloat16 (1 - p rounds to 0), and a Gaussian negative
    log-likelihood whose value goes below zero in perfectly healthy training."""
    if cfg.loss == 'log_softmax_bug':
        return lambda out, y: F.nll_loss(torch.log(out.float()), y)
    if cfg.loss == 'manual_bce':
        def bce(out, y):
            p = torch.sigmoid(out[:, 1] - out[:, 0])      # stays in the autocast dtype on purpose
            t = y.to(p.dtype)
            return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).float().mean()
        return bce
    if cfg.loss == 'gauss_nll':
        def nll(out, y):
            mean, log_var = out[:, :1].float(), out[:, 1:2].float()
            return F.gaussian_nll_loss(mean, y, log_var.exp())
        return nll
    if task.kind == 'regress':
        return lambda out, y: F.mse_loss(out.float(), y)
    if task.kind == 'lm':
        return lambda out, y: F.cross_entropy(out.float().reshape(-1, out.shape[-1]), y.reshape(-1))
    return lambda out, y: F.cross_entropy(out.float(), y)


def _accuracy(out, y, task: Task, k=1):
    """Top-k accuracy of a classification batch (None for other tasks, or k >= classes)."""
    if task.kind != 'classify' or out.shape[-1] != task.n_out or k >= task.n_out:
        return None
    top = out.float().topk(k, -1).indices
    return (top == y[:, None]).any(-1).float().mean().item()


def _autocast(cfg: Config):
    return torch.autocast('cpu', dtype=torch.bfloat16, enabled=cfg.precision == 'bf16')


def _grad_norms(groups: dict):
    """Global and per-layer L2 norms of the gradients, before any clipping (what
    clip_grad_norm_ returns and what trainers log)."""
    per_layer = {}
    total_sq = 0.0
    for name, params in groups.items():
        sq = sum(float(p.grad.detach().float().pow(2).sum()) for p in params if p.grad is not None)
        per_layer[name] = math.sqrt(sq) if sq == sq and sq != math.inf else sq
        total_sq += sq
    total = math.sqrt(total_sq) if total_sq == total_sq and total_sq != math.inf else total_sq
    return total, per_layer


def _param_norms(model: nn.Module):
    """Per-parameter gradient norms (Lightning's grad_norm utility logs these)."""
    return {name: float(p.grad.detach().float().norm()) for name, p in model.named_parameters()
            if p.grad is not None}


def _evaluate(model, task: Task, cfg: Config, loss_fn):
    """Validation loss and accuracy over the whole validation set (language models: over a
    fixed set of evenly spaced windows, so every evaluation sees the same text)."""
    # PyTorch 1.13's fused inference path of nn.TransformerEncoder rejects bfloat16 autocast on
    # CPU; it is not taken while gradients are enabled, so bf16 runs evaluate with them on.
    with torch.enable_grad() if cfg.precision == 'bf16' else torch.no_grad():
        return _evaluate_batches(model, task, cfg, loss_fn)


def _evaluate_batches(model, task: Task, cfg: Config, loss_fn):
    model.eval()
    losses, correct, correct5, count, batches = [], 0, 0, 0, []
    if task.kind == 'lm':
        ctx = task.meta['context']
        starts = torch.linspace(0, len(task.x_val) - ctx - 2, 48).long()
        idx = starts[:, None] + torch.arange(ctx + 1)
        chunk = task.x_val[idx]
        batches = [(chunk[i:i + 16, :-1], chunk[i:i + 16, 1:]) for i in range(0, len(chunk), 16)]
    else:
        batches = [(task.x_val[i:i + 256], task.y_val[i:i + 256]) for i in range(0, len(task.x_val), 256)]
    first = None
    for xb, yb in batches:
        with _autocast(cfg):
            out = model(xb)
            loss = loss_fn(out, yb)
        losses.append(float(loss) * len(xb))
        count += len(xb)
        acc = _accuracy(out, yb, task)
        acc5 = _accuracy(out, yb, task, 5)
        if acc is not None:
            correct += acc * len(xb)
            correct5 += (acc5 or 0.0) * len(xb)
        if first is None:
            first = {'loss': float(loss), 'acc': acc, 'acc5': acc5, 'n': len(xb)}
    model.train()
    return {'val_loss': sum(losses) / count,
            'val_acc': correct / count if task.kind == 'classify' else None,
            'val_acc5': correct5 / count if task.kind == 'classify' else None,
            'n_val_batches': len(batches), 'first_batch': first, 'n_val': count}


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def train(cfg: Config, seed: int) -> dict:
    """Trains and returns {'records': [...], 'info': {...}}. A record is a dict with 'kind'
    ('step' or 'epoch'); step records exist only for levels 'step'/'both', epoch records for
    'epoch'/'both' (and for styles that print an end-of-epoch line anyway)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    task = make_task(cfg.task, seed, **cfg.task_kw)
    model = make_model(cfg.model, task, **dict(cfg.model_kw))
    groups = layer_groups(model)
    opt = _optimizer(cfg, model.parameters())
    batches = Batches(task, cfg.batch_size, seed, cfg.steps_per_epoch, cfg.stall)
    spe = batches.steps
    scheduler, when = _scheduler(cfg, opt, spe)
    loss_fn = _loss_fn(cfg, task)
    want_layers = 'layers' in cfg.log
    want_params = cfg.style == 'lightning' and want_layers
    records = []
    step = 0
    nan_seen_at = None          # index in records of the first record with a non-finite loss
    started = time.perf_counter()
    per_item = task.meta.get('context', 1)   # tokens per sample for language models

    def stop_for_nan() -> bool:
        return nan_seen_at is not None and len(records) - 1 - nan_seen_at >= cfg.nan_tail

    for epoch in range(cfg.epochs):
        epoch_start = time.perf_counter()
        sums = {'loss': 0.0, 'acc': 0.0, 'acc5': 0.0, 'n': 0, 'grad': 0.0, 'data': 0.0, 'time': 0.0}
        layer_sums: dict = {}
        since = {'loss': 0.0, 'n': 0, 'time': 0.0, 'data': 0.0}
        it = batches.epoch(epoch)
        for b in range(spe):
            t0 = time.perf_counter()
            xb, yb = next(it)
            t1 = time.perf_counter()
            lr = opt.param_groups[0]['lr']
            with _autocast(cfg):
                out = model(xb)
                loss = loss_fn(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            total, per_layer = _grad_norms(groups)
            params = _param_norms(model) if want_params else None
            if cfg.clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            if when == 'step':
                scheduler.step()
            elif when == 'sgdr':
                scheduler.step(epoch + (b + 1) / spe)
            t2 = time.perf_counter()
            step += 1
            loss_v = float(loss)
            acc = _accuracy(out, yb, task)
            acc5 = _accuracy(out, yb, task, 5)
            n = len(xb)
            sums['loss'] += loss_v * n
            sums['n'] += n
            sums['acc'] += (acc or 0.0) * n
            sums['acc5'] += (acc5 or 0.0) * n
            sums['grad'] += total
            sums['data'] += t1 - t0
            sums['time'] += t2 - t0
            for k, v in per_layer.items():
                layer_sums[k] = layer_sums.get(k, 0.0) + v
            since['loss'] += loss_v
            since['n'] += 1
            since['time'] += t2 - t0
            since['data'] += t1 - t0
            if cfg.level in ('step', 'both'):
                rule_in_epoch = cfg.style_kw.get('log_rule') == 'in_epoch'
                due = (b % cfg.log_every == 0) if rule_in_epoch else (step % cfg.log_every == 0)
                if due:
                    rec = {
                        'kind': 'step', 'step': step, 'epoch': epoch, 'epoch_float': step / spe,
                        'batch': b, 'n_batches': spe, 'loss': loss_v, 'loss_avg': since['loss'] / since['n'],
                        'loss_run': sums['loss'] / sums['n'], 'acc': acc,
                        'acc_run': sums['acc'] / sums['n'] if acc is not None else None,
                        'acc5': acc5, 'acc5_run': sums['acc5'] / sums['n'] if acc5 is not None else None,
                        'lr': lr, 'grad_norm': total, 'layers': per_layer, 'params': params,
                        'step_time': t2 - t0, 'step_time_avg': since['time'] / since['n'],
                        'step_time_run': sums['time'] / (b + 1),
                        'data_time': t1 - t0, 'data_time_run': sums['data'] / (b + 1),
                        'samples_per_second': n / (t2 - t0),
                        'tokens_per_second': n * per_item / (t2 - t0),
                        'elapsed': time.perf_counter() - started, 'batch_size': n,
                    }
                    records.append(rec)
                    since = {'loss': 0.0, 'n': 0, 'time': 0.0, 'data': 0.0}
                    if nan_seen_at is None and not _finite(loss_v):
                        nan_seen_at = len(records) - 1
                    if stop_for_nan():
                        break
        if stop_for_nan():
            break
        val_start = time.perf_counter()
        ev = _evaluate(model, task, cfg, loss_fn)
        now = time.perf_counter()
        rec = {
            'kind': 'epoch', 'epoch': epoch, 'step': step, 'n_batches': spe,
            'train_loss': sums['loss'] / max(1, sums['n']),
            'train_acc': sums['acc'] / sums['n'] if task.kind == 'classify' else None,
            # the lr its last batch used (what Keras and most loggers show for an epoch)
            'lr': lr,
            'grad_norm': sums['grad'] / spe,
            'layers': {k: v / spe for k, v in layer_sums.items()},
            'epoch_time': now - epoch_start, 'train_time': sums['time'], 'data_time': sums['data'],
            'val_time': now - val_start, 'samples_per_second': sums['n'] / max(1e-9, sums['time']),
            'tokens_per_second': sums['n'] * per_item / max(1e-9, sums['time']),
            'elapsed': now - started, **ev,
        }
        records.append(rec)
        if nan_seen_at is None and not (_finite(rec['train_loss']) and _finite(rec['val_loss'])):
            nan_seen_at = len(records) - 1
        if when == 'epoch':
            scheduler.step()
        elif when == 'val':
            scheduler.step(rec['val_loss'] if _finite(rec['val_loss']) else float('inf'))
        if stop_for_nan():
            break
    info = {'task': task.name, 'kind': task.kind, 'n_train': len(task.x_train), 'n_val': len(task.x_val),
            'steps_per_epoch': spe, 'steps': step, 'seconds': time.perf_counter() - started,
            'params': sum(p.numel() for p in model.parameters()), 'n_out': task.n_out,
            'context': task.meta.get('context'), 'optimizer_class': type(opt).__name__,
            'layer_names': list(groups)}
    return {'records': records, 'info': info}
