"""Log writers: each turns a run's records into the file a real tool would have written, and
returns with it the metric points that file holds, in file order.

A point is one JSON line, one CSV data row, one log_history entry, or one text line that carries
metric values (headers, banners and 'Epoch 3/20' lines carry none and are not points). Each
point holds the numbers exactly as written (text formats round; the value is read back from the
printed string), under canonical names, so that the labels are judged on what the file says:

    {'level': 'step' | 'epoch' | 'summary', 'values': {'train_loss': ..., 'val_loss': ..., ...}}

Canonical names: train_loss, val_loss, train_acc, val_acc, lr, grad_norm, grad_norm/<layer>,
step_time, epoch_time, data_time (seconds), samples_per_second, tokens_per_second.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

import numpy as np

# --- numbers ----------------------------------------------------------------------------------


def f32(x):
    """What a logger that calls tensor.item() on a float32 tensor writes: the float32 value as a
    Python float (repr 0.6931471824645996, not 0.6931)."""
    return None if x is None else float(np.float32(x))


def fmt(x, spec: str):
    """Formats x with a format spec and returns (text, value read back from the text)."""
    text = format(x, spec)
    try:
        return text, float(text)
    except ValueError:
        return text, float('nan')


def json_num(x, digits=6):
    """JSON Lines loggers write non-finite values as strings ('nan', 'inf'); finite values are
    kept to `digits` significant digits so files stay small."""
    if x is None:
        return None
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return float(f'{x:.{digits}g}')


def as_value(v):
    """A written value back as a float (non-finite strings included)."""
    if isinstance(v, str):
        return float(v)
    return float(v)


def point(level, **values):
    return {'level': level, 'values': {k: v for k, v in values.items() if v is not None}}


def steps_of(records):
    return [r for r in records if r['kind'] == 'step']


def epochs_of(records):
    return [r for r in records if r['kind'] == 'epoch']


def _keep_layers(cfg):
    return 'layers' in cfg.log


# --- 1. JSON Lines ----------------------------------------------------------------------------

KEYS = {
    # canonical -> (plain key, slash key); the slash scheme is what W&B-style loggers write
    'train_loss': ('train_loss', 'train/loss'), 'val_loss': ('val_loss', 'val/loss'),
    'train_acc': ('train_acc', 'train/acc'), 'val_acc': ('val_acc', 'val/acc'),
    'lr': ('lr', 'train/lr'), 'grad_norm': ('grad_norm', 'train/grad_norm'),
    'step_time': ('step_time', 'perf/step_time'), 'epoch_time': ('epoch_time', 'perf/epoch_time'),
    'samples_per_second': ('samples_per_second', 'perf/samples_per_second'),
    'tokens_per_second': ('tokens_per_second', 'perf/tokens_per_second'),
}


def write_jsonl(records, cfg, info):
    scheme = 1 if cfg.style_kw.get('keys') == 'slash' else 0
    lines, points = [], []
    throughput = 'tokens_per_second' if info['kind'] == 'lm' else 'samples_per_second'

    def emit(level, head: dict, canon: dict, layers: dict):
        obj = dict(head)
        values = {}
        for name, v in canon.items():
            if v is None:
                continue
            obj[KEYS[name][scheme]] = json_num(v)
            values[name] = as_value(obj[KEYS[name][scheme]])
        for layer, v in layers.items():
            obj[f'grad_norm/{layer}'] = json_num(v)
            values[f'grad_norm/{layer}'] = as_value(obj[f'grad_norm/{layer}'])
        lines.append(json.dumps(obj))
        points.append({'level': level, 'values': values})

    log = cfg.log
    for r in records:
        layers = r['layers'] if _keep_layers(cfg) else {}
        if r['kind'] == 'step' and cfg.level in ('step', 'both'):
            emit('step', {'step': r['step'], 'epoch': round(r['epoch_float'], 3)}, {
                'train_loss': r['loss'], 'train_acc': r['acc'] if 'acc' in log else None,
                'lr': r['lr'] if 'lr' in log else None,
                'grad_norm': r['grad_norm'] if 'grad' in log else None,
                'step_time': r['step_time'] if 'time' in log else None,
                throughput: r[throughput] if 'throughput' in log else None}, layers)
        elif r['kind'] == 'epoch' and cfg.level == 'epoch':
            emit('epoch', {'epoch': r['epoch'] + 1, 'step': r['step']}, {
                'train_loss': r['train_loss'], 'train_acc': r['train_acc'] if 'acc' in log else None,
                'val_loss': r['val_loss'], 'val_acc': r['val_acc'] if 'acc' in log else None,
                'lr': r['lr'] if 'lr' in log else None,
                'grad_norm': r['grad_norm'] if 'grad' in log else None,
                'epoch_time': r['epoch_time'] if 'time' in log else None,
                throughput: r[throughput] if 'throughput' in log else None}, layers)
        elif r['kind'] == 'epoch' and cfg.level == 'both':
            # per-step lines carry the training metrics; the epoch line adds the evaluation
            emit('epoch', {'epoch': r['epoch'] + 1, 'step': r['step']}, {
                'val_loss': r['val_loss'], 'val_acc': r['val_acc'] if 'acc' in log else None,
                'epoch_time': r['epoch_time'] if 'time' in log else None}, {})
    return 'metrics.jsonl', '\n'.join(lines) + '\n', points


# --- 2. Hugging Face trainer_state.json and 3. its console output -------------------------------

def _hf_entries(records, cfg, info):
    """The log_history of transformers' Trainer: a training entry every logging_steps (loss
    averaged over the interval and rounded to 4 decimals, the last step's grad_norm, the
    learning rate), an evaluation entry per epoch, and a closing summary entry."""
    entries, points = [], []
    losses = []
    for r in records:
        if r['kind'] == 'step':
            losses.append(r['loss'])
            e = {'epoch': r['epoch_float'], 'grad_norm': r['grad_norm'], 'learning_rate': r['lr'],
                 'loss': round(r['loss_avg'], 4), 'step': r['step']}
            entries.append(e)
            points.append(point('step', train_loss=e['loss'], grad_norm=e['grad_norm'], lr=e['learning_rate']))
        else:
            e = {'epoch': float(r['epoch'] + 1), 'eval_loss': r['val_loss']}
            if r['val_acc'] is not None:
                e['eval_accuracy'] = r['val_acc']
            e.update({'eval_runtime': round(r['val_time'], 4),
                      'eval_samples_per_second': round(r['n_val'] / r['val_time'], 3),
                      'eval_steps_per_second': round(r['n_val_batches'] / r['val_time'], 3),
                      'step': r['step']})
            entries.append(e)
            points.append(point('epoch', val_loss=e['eval_loss'], val_acc=e.get('eval_accuracy')))
    last = records[-1]
    runtime = last['elapsed']
    steps = max(r['step'] for r in records)
    samples = steps * cfg.batch_size
    summary = {'epoch': steps / last['n_batches'], 'step': steps,
               'total_flos': int(6 * info['params'] * samples * (info['context'] or 1)),
               'train_loss': sum(losses) / len(losses) if losses else float('nan'),
               'train_runtime': round(runtime, 4),
               'train_samples_per_second': round(samples / runtime, 3),
               'train_steps_per_second': round(steps / runtime, 3)}
    entries.append(summary)
    # The summary's train_loss is the mean over the whole run, not a point on the curve: the
    # labels do not read it (level 'summary').
    points.append({'level': 'summary', 'values': {}})
    return entries, points, summary


def write_hf_state(records, cfg, info):
    entries, points, summary = _hf_entries(records, cfg, info)
    steps = summary['step']
    state = {
        'best_metric': None, 'best_model_checkpoint': None, 'epoch': summary['epoch'],
        'eval_steps': None, 'global_step': steps, 'is_hyper_param_search': False,
        'is_local_process_zero': True, 'is_world_process_zero': True, 'log_history': entries,
        'logging_steps': cfg.log_every, 'max_steps': cfg.epochs * records[-1]['n_batches'],
        'num_input_tokens_seen': 0, 'num_train_epochs': cfg.epochs, 'save_steps': 500,
        'stateful_callbacks': {'TrainerControl': {'args': {
            'should_epoch_stop': False, 'should_evaluate': False, 'should_log': False,
            'should_save': True, 'should_training_stop': True}, 'attributes': {}}},
        'total_flos': summary['total_flos'], 'train_batch_size': cfg.batch_size,
        'trial_name': None, 'trial_params': None,
    }
    # json.dumps writes NaN / Infinity as bare literals, exactly as the Trainer's file has them
    return 'trainer_state.json', json.dumps(state, indent=2, sort_keys=True) + '\n', points


def write_hf_console(records, cfg, info):
    entries, points, summary = _hf_entries(records, cfg, info)
    n_train = info['n_train']
    lines = ['***** Running training *****',
             f'  Num examples = {n_train:,}',
             f'  Num Epochs = {cfg.epochs:,}',
             f'  Instantaneous batch size per device = {cfg.batch_size:,}',
             f'  Total train batch size (w. parallel, distributed & accumulation) = {cfg.batch_size:,}',
             '  Gradient Accumulation steps = 1',
             f"  Total optimization steps = {cfg.epochs * records[-1]['n_batches']:,}",
             f"  Number of trainable parameters = {info['params']:,}"]
    printed_points = []
    for e, p in zip(entries, points):
        shown = dict(e)
        shown.pop('step', None)
        shown.pop('total_flos', None)
        if 'epoch' in shown:
            shown['epoch'] = round(shown['epoch'], 2)    # the progress callback rounds it
        if e is summary:
            shown = {k: shown[k] for k in ('train_runtime', 'train_samples_per_second',
                                           'train_steps_per_second', 'train_loss', 'epoch')}
        else:
            order = ['loss', 'grad_norm', 'learning_rate', 'eval_loss', 'eval_accuracy', 'eval_runtime',
                     'eval_samples_per_second', 'eval_steps_per_second', 'epoch']
            shown = {k: shown[k] for k in order if k in shown}
        lines.append(str(shown))
        printed_points.append(p)
    return 'train.log', '\n'.join(lines) + '\n', printed_points


# --- 4. PyTorch Lightning CSVLogger ---------------------------------------------------------

def write_lightning(records, cfg, info):
    """metrics.csv as Lightning's CSVLogger writes it: one row per log_metrics call, columns
    sorted by name, cells of metrics not logged in that call left empty. The
    LearningRateMonitor logs its own rows (step only, no epoch); step metrics logged in one
    batch share a row; validation and training epoch-end metrics come in separate rows."""
    rows, points = [], []
    lr_key = f"lr-{info['optimizer_class']}"
    log = cfg.log
    step_key = 'train_loss_step' if cfg.level == 'both' else 'train_loss'
    epoch_key = 'train_loss_epoch' if cfg.level == 'both' else 'train_loss'

    def grad_cells(r, values):
        cells = {}
        if 'grad' in log:
            cells['grad_2.0_norm_total'] = f32(r['grad_norm'])
            values['grad_norm'] = cells['grad_2.0_norm_total']
        if 'layers' in log and r.get('params'):
            for name, v in r['params'].items():
                cells[f'grad_2.0_norm/{name}'] = f32(v)
                values[f'grad_norm/{name}'] = cells[f'grad_2.0_norm/{name}']
        return cells

    for r in records:
        if r['kind'] == 'step' and cfg.level in ('step', 'both'):
            if 'lr' in log:
                rows.append({lr_key: r['lr'], 'step': r['step'] - 1})
                points.append(point('step', lr=r['lr']))
            values = {'train_loss': f32(r['loss'])}
            row = {'epoch': r['epoch'], 'step': r['step'] - 1, step_key: values['train_loss']}
            row.update(grad_cells(r, values))
            if 'time' in log:
                row['step_time'] = values['step_time'] = r['step_time']
            rows.append(row)
            points.append({'level': 'step', 'values': values})
        elif r['kind'] == 'epoch':
            if cfg.level == 'epoch' and 'lr' in log:
                rows.append({lr_key: r['lr'], 'step': r['step'] - r['n_batches']})
                points.append(point('epoch', lr=r['lr']))
            val = {'epoch': r['epoch'], 'step': r['step'] - 1, 'val_loss': f32(r['val_loss'])}
            if r['val_acc'] is not None and 'acc' in log:
                val['val_acc'] = f32(r['val_acc'])
            rows.append(val)
            points.append(point('epoch', val_loss=val['val_loss'], val_acc=val.get('val_acc')))
            if cfg.level in ('epoch', 'both'):
                values = {'train_loss': f32(r['train_loss'])}
                row = {'epoch': r['epoch'], 'step': r['step'] - 1, epoch_key: values['train_loss']}
                if cfg.level == 'epoch':
                    ep_rec = dict(r)
                    ep_rec['params'] = None
                    row.update(grad_cells(ep_rec, values))
                if 'time' in log:
                    row['epoch_time'] = values['epoch_time'] = r['epoch_time']
                rows.append(row)
                points.append({'level': 'epoch', 'values': values})
    keys = sorted(set().union(*rows))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    return 'metrics.csv', out.getvalue(), points


# --- 5. Keras CSVLogger -------------------------------------------------------------------------

def write_keras_csv(records, cfg, info):
    """Keras' CSVLogger: 'epoch' then the logs' keys sorted, one row per epoch, epoch from 0,
    values as Python floats of float32 metrics. Extra keys (gradient norms, epoch time) are what
    a custom callback that writes into `logs` adds."""
    lr_name = cfg.style_kw.get('lr_key', 'lr')
    rows, points = [], []
    classify = info['kind'] == 'classify'
    for r in epochs_of(records):
        values = {'train_loss': f32(r['train_loss']), 'val_loss': f32(r['val_loss'])}
        row = {'epoch': r['epoch'], 'loss': values['train_loss'], 'val_loss': values['val_loss']}
        if classify and 'acc' in cfg.log:
            row['accuracy'] = values['train_acc'] = f32(r['train_acc'])
            row['val_accuracy'] = values['val_acc'] = f32(r['val_acc'])
        if 'lr' in cfg.log:
            row[lr_name] = values['lr'] = f32(r['lr'])
        if 'grad' in cfg.log:
            row['grad_norm'] = values['grad_norm'] = f32(r['grad_norm'])
        if 'layers' in cfg.log:
            for layer, v in r['layers'].items():
                row[f'grad_norm/{layer}'] = values[f'grad_norm/{layer}'] = f32(v)
        if 'time' in cfg.log:
            row['epoch_time'] = values['epoch_time'] = r['epoch_time']
        rows.append(row)
        points.append({'level': 'epoch', 'values': values})
    keys = ['epoch'] + sorted(k for k in rows[0] if k != 'epoch')
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    return cfg.file or 'training.log', out.getvalue(), points


# --- 6. Keras console (fit with verbose=2) -------------------------------------------------------

def _keras_value(v):
    """Keras' progress bar: 4 decimals, or scientific notation for values under 1e-3."""
    return fmt(v, '.4f') if v > 1e-3 or not math.isfinite(v) else fmt(v, '.4e')


def _keras_time(seconds, unit):
    if seconds >= 1 or seconds == 0:
        text = f'{seconds:.0f}s/{unit}'
        return text, float(f'{seconds:.0f}')
    if seconds >= 1e-3:
        text = f'{seconds * 1e3:.0f}ms/{unit}'
        return text, float(f'{seconds * 1e3:.0f}') / 1e3
    text = f'{seconds * 1e6:.0f}us/{unit}'
    return text, float(f'{seconds * 1e6:.0f}') / 1e6


def write_keras_console(records, cfg, info):
    lines, points = [], []
    classify = info['kind'] == 'classify'
    for r in epochs_of(records):
        values = {}
        lines.append(f"Epoch {r['epoch'] + 1}/{cfg.epochs}")
        n = r['n_batches']
        parts = [f"{n}/{n} - {r['epoch_time']:.0f}s"]
        items = [('loss', 'train_loss', r['train_loss'])]
        if classify and 'acc' in cfg.log:
            items.append(('accuracy', 'train_acc', r['train_acc']))
        items.append(('val_loss', 'val_loss', r['val_loss']))
        if classify and 'acc' in cfg.log:
            items.append(('val_accuracy', 'val_acc', r['val_acc']))
        if 'lr' in cfg.log:
            items.append(('lr', 'lr', r['lr']))
        for key, canon, v in items:
            text, values[canon] = _keras_value(v)
            parts.append(f'{key}: {text}')
        text, values['epoch_time'] = _keras_time(r['train_time'], 'epoch')
        parts.append(text)
        text, values['step_time'] = _keras_time(r['train_time'] / n, 'step')
        parts.append(text)
        lines.append(' - '.join(parts))
        points.append({'level': 'epoch', 'values': values})
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 7. key=value lines --------------------------------------------------------------------------

def write_kv(records, cfg, info):
    """`[epoch 4] train_loss=0.5123 val_loss=0.6234 lr=0.001`: what a hand-written loop prints."""
    lines, points = [], []
    for r in epochs_of(records):
        values = {}
        parts = [f"[epoch {r['epoch'] + 1}]"]

        def add(key, canon, v, spec, suffix=''):
            text, values[canon] = fmt(v, spec)
            parts.append(f'{key}={text}{suffix}')
        add('train_loss', 'train_loss', r['train_loss'], '.4f')
        add('val_loss', 'val_loss', r['val_loss'], '.4f')
        if r['val_acc'] is not None and 'acc' in cfg.log:
            add('val_acc', 'val_acc', r['val_acc'], '.4f')
        if 'lr' in cfg.log:
            add('lr', 'lr', r['lr'], '.3g')
        if 'grad' in cfg.log:
            add('grad_norm', 'grad_norm', r['grad_norm'], '.4g')
        if 'layers' in cfg.log:
            for layer, v in r['layers'].items():
                add(f'grad_norm/{layer}', f'grad_norm/{layer}', v, '.3e')
        if 'time' in cfg.log:
            add('epoch_time', 'epoch_time', r['epoch_time'], '.3f', 's')
        lines.append(' '.join(parts))
        points.append({'level': 'epoch', 'values': values})
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 8. `step N | loss x | lr y | grad_norm z` --------------------------------------------------

def write_pipe(records, cfg, info):
    lines, points = [], []
    for r in steps_of(records):
        values = {}
        text, values['train_loss'] = fmt(r['loss'], '.4f')
        parts = [f"step {r['step']}", f'loss {text}']
        if 'lr' in cfg.log:
            text, values['lr'] = fmt(r['lr'], '.1e')
            parts.append(f'lr {text}')
        if 'grad' in cfg.log:
            text, values['grad_norm'] = fmt(r['grad_norm'], '.4g')
            parts.append(f'grad_norm {text}')
        if 'time' in cfg.log:
            text, ms = fmt(r['step_time'] * 1e3, '.1f')
            values['step_time'] = ms / 1e3
            parts.append(f'{text} ms/step')
        if 'throughput' in cfg.log:
            text, values['samples_per_second'] = fmt(r['samples_per_second'], '.0f')
            parts.append(f'{text} samples/s')
        lines.append(' | '.join(parts))
        points.append({'level': 'step', 'values': values})
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 9. build-nanogpt ------------------------------------------------------------------------------

def write_buildgpt(records, cfg, info):
    """The GPT-2 reproduction script's lines: step from 0, loss to 6 decimals, lr, gradient norm
    (before clipping), step time and tokens per second; 'validation loss' at evaluations."""
    lines = ['using device: cpu', f"total desired batch size: {cfg.batch_size * (info['context'] or 1)}",
             f"num parameters: {info['params']}"]
    points = []
    for r in records:
        if r['kind'] == 'step':
            v = {}
            loss, v['train_loss'] = fmt(r['loss'], '.6f')
            lr, v['lr'] = fmt(r['lr'], '.4e')
            norm, v['grad_norm'] = fmt(r['grad_norm'], '.4f')
            dt_ms, ms = fmt(r['step_time'] * 1e3, '.2f')
            v['step_time'] = ms / 1e3
            tps, v['tokens_per_second'] = fmt(r['tokens_per_second'], '.2f')
            lines.append(f"step {r['step'] - 1:5d} | loss: {loss} | lr {lr} | norm: {norm} | dt: {dt_ms}ms | tok/sec: {tps}")
            points.append({'level': 'step', 'values': v})
        elif cfg.level == 'both':
            text, val = fmt(r['val_loss'], '.4f')
            lines.append(f'validation loss: {text}')
            points.append(point('epoch', val_loss=val))
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 10. nanoGPT -----------------------------------------------------------------------------------

def write_nanogpt(records, cfg, info):
    """nanoGPT's train.py: 'iter N: loss x, time y ms, mfu z%' and, at each evaluation,
    'step N: train loss x, val loss y'. The MFU is estimated as nanoGPT does, against an A100's
    312 TFLOPS, which on a CPU is a fraction of a percent (and -100.00% for the first iterations,
    before the estimate starts)."""
    lines = [f"number of parameters: {info['params'] / 1e6:.2f}M"]
    points = []
    ctx = info['context'] or 1
    running = -1.0
    for r in records:
        if r['kind'] == 'step':
            it = r['step'] - 1
            v = {}
            loss, v['train_loss'] = fmt(r['loss'], '.4f')
            dt_ms, ms = fmt(r['step_time'] * 1e3, '.2f')
            v['step_time'] = ms / 1e3
            if it >= 5:                  # nanoGPT starts its estimate after 5 iterations
                mfu = 6 * info['params'] * cfg.batch_size * ctx / r['step_time'] / 312e12
                running = mfu if running == -1.0 else 0.9 * running + 0.1 * mfu
            lines.append(f'iter {it}: loss {loss}, time {dt_ms}ms, mfu {running * 100:.2f}%')
            points.append({'level': 'step', 'values': v})
        else:
            tl, tv = fmt(r['train_loss'], '.4f')
            vl, vv = fmt(r['val_loss'], '.4f')
            lines.append(f"step {r['step']}: train loss {tl}, val loss {vl}")
            points.append({'level': 'epoch', 'values': {'val_loss': vv, 'train_loss_eval': tv}})
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 11. PyTorch ImageNet example ----------------------------------------------------------------

def _meter(name, val, avg, spec):
    a, va = fmt(val, spec)
    b, _ = fmt(avg, spec)
    return f'{name} {a} ({b})', va


def write_imagenet(records, cfg, info):
    """examples/imagenet/main.py: ProgressMeter lines every print_freq batches (current value
    and running average of batch time, data time, loss, top-1 and top-5 accuracy), then per
    epoch a 'Test:' line and the ' * Acc@1 .. Acc@5 ..' summary."""
    lines = [f"=> creating model '{cfg.model}'"]
    points = []
    for r in records:
        if r['kind'] == 'step':
            n = r['n_batches']
            w = len(str(n))
            v = {}
            t, v['step_time'] = _meter('Time', r['step_time'], r['step_time_run'], '6.3f')
            d, v['data_time'] = _meter('Data', r['data_time'], r['data_time_run'], '6.3f')
            l, v['train_loss'] = _meter('Loss', r['loss'], r['loss_run'], '.4e')
            a1, acc1 = _meter('Acc@1', 100 * r['acc'], 100 * r['acc_run'], '6.2f')
            a5, _ = _meter('Acc@5', 100 * r['acc5'], 100 * r['acc5_run'], '6.2f')
            v['train_acc'] = acc1 / 100
            lines.append(f"Epoch: [{r['epoch']}][{r['batch']:{w}d}/{n}]\t{t}\t{d}\t{l}\t{a1}\t{a5}")
            points.append({'level': 'step', 'values': v})
        else:
            fb = r['first_batch']
            nb = r['n_val_batches']
            w = len(str(nb))
            per_batch = r['val_time'] / nb
            t, _ = _meter('Time', per_batch, per_batch, '6.3f')
            l, vl = _meter('Loss', fb['loss'], fb['loss'], '.4e')
            a1, _ = _meter('Acc@1', 100 * fb['acc'], 100 * fb['acc'], '6.2f')
            a5, _ = _meter('Acc@5', 100 * fb['acc5'], 100 * fb['acc5'], '6.2f')
            lines.append(f'Test: [{0:{w}d}/{nb}]\t{t}\t{l}\t{a1}\t{a5}')
            points.append(point('epoch', val_loss=vl))
            top1, v1 = fmt(100 * r['val_acc'], '.3f')
            top5, _ = fmt(100 * r['val_acc5'], '.3f')
            lines.append(f' * Acc@1 {top1} Acc@5 {top5}')
            points.append(point('epoch', val_acc=v1 / 100))
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 12. the training service's own log (timestamps, percent accuracies) --------------------------

START = dt.datetime(2024, 5, 1, 9, 0, 0)


def write_seed(records, cfg, info):
    lines, points = [], []

    def stamp(seconds):
        return (START + dt.timedelta(seconds=seconds)).strftime('%Y-%m-%d %H:%M:%S')
    best = None
    for r in epochs_of(records):
        begin = r['elapsed'] - r['epoch_time']
        lines.append(f"{stamp(begin)} INFO Epoch [{r['epoch'] + 1}/{cfg.epochs}] started")
        tl, tlv = fmt(r['train_loss'], '.4f')
        ta, tav = fmt(100 * r['train_acc'], '.2f')
        lines.append(f"{stamp(begin + r['train_time'])} INFO Train Loss: {tl}, Train Accuracy: {ta}%")
        points.append(point('epoch', train_loss=tlv, train_acc=tav / 100))
        vl, vlv = fmt(r['val_loss'], '.4f')
        va, vav = fmt(100 * r['val_acc'], '.2f')
        lines.append(f"{stamp(r['elapsed'])} INFO Validation Loss: {vl}, Validation Accuracy: {va}%")
        points.append(point('epoch', val_loss=vlv, val_acc=vav / 100))
        if best is None or vav > best:
            best = vav
            lines.append(f"{stamp(r['elapsed'])} INFO New best model saved with Accuracy: {va}%")
    return 'train.log', '\n'.join(lines) + '\n', points


# --- 13. PyTorch word_language_model example -----------------------------------------------------

def _ppl(loss):
    try:
        return math.exp(loss)
    except OverflowError:
        return float('inf')


def write_wlm(records, cfg, info):
    """examples/word_language_model/main.py: a line every log_interval batches (lr, ms/batch and
    loss averaged over the interval, perplexity), and an end-of-epoch block with the epoch time
    and validation loss."""
    lines, points = [], []
    for r in records:
        if r['kind'] == 'step':
            if r['batch'] == 0:
                continue            # the example logs only when batch > 0
            v = {}
            lr, v['lr'] = fmt(r['lr'], '02.2f')
            ms, msv = fmt(r['step_time_avg'] * 1e3, '5.2f')
            v['step_time'] = msv / 1e3
            loss, v['train_loss'] = fmt(r['loss_avg'], '5.2f')
            ppl, _ = fmt(_ppl(r['loss_avg']), '8.2f')
            lines.append(f"| epoch {r['epoch'] + 1:3d} | {r['batch']:5d}/{r['n_batches']:5d} batches | lr {lr} | "
                         f"ms/batch {ms} | loss {loss} | ppl {ppl}")
            points.append({'level': 'step', 'values': v})
        else:
            t, tv = fmt(r['epoch_time'], '5.2f')
            vl, vv = fmt(r['val_loss'], '5.2f')
            ppl, _ = fmt(_ppl(r['val_loss']), '8.2f')
            lines.append('-' * 89)
            lines.append(f"| end of epoch {r['epoch'] + 1:3d} | time: {t}s | valid loss {vl} | valid ppl {ppl}")
            lines.append('-' * 89)
            points.append(point('epoch', val_loss=vv, epoch_time=tv))
    return 'train.log', '\n'.join(lines) + '\n', points


WRITERS = {
    'jsonl': write_jsonl, 'hf_state': write_hf_state, 'hf_console': write_hf_console,
    'lightning': write_lightning, 'keras_csv': write_keras_csv, 'keras_console': write_keras_console,
    'kv': write_kv, 'pipe': write_pipe, 'buildgpt': write_buildgpt, 'nanogpt': write_nanogpt,
    'imagenet': write_imagenet, 'seed': write_seed, 'wlm': write_wlm,
}

# Which levels each style can express ('both' = step lines plus end-of-epoch lines).
LEVELS = {
    'jsonl': {'step', 'epoch', 'both'}, 'hf_state': {'both'}, 'hf_console': {'both'},
    'lightning': {'step', 'epoch', 'both'}, 'keras_csv': {'epoch'}, 'keras_console': {'epoch'},
    'kv': {'epoch'}, 'pipe': {'step'}, 'buildgpt': {'step', 'both'}, 'nanogpt': {'both'},
    'imagenet': {'both'}, 'seed': {'epoch'}, 'wlm': {'both'},
}


def write(records, cfg, info):
    if cfg.level not in LEVELS[cfg.style]:
        raise ValueError(f'{cfg.source}: style {cfg.style} cannot log at level {cfg.level}')
    return WRITERS[cfg.style](records, cfg, info)
