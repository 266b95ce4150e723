"""README.md of the corpus: what it is, how it is made, the label criteria, and counts."""
from __future__ import annotations

import collections
import os
import re

import labels

DROPPED_START, DROPPED_END = '<!-- dropped:start -->', '<!-- dropped:end -->'
TIME_LINE = re.compile(r'^The last full generation took .*$', re.M)


def read_dropped(out):
    """Dropped runs of an earlier generation, read back from the README table (kept when only a
    subset is regenerated)."""
    path = os.path.join(out, 'README.md')
    if not os.path.exists(path):
        return []
    text = open(path).read()
    if DROPPED_START not in text:
        return []
    block = text.split(DROPPED_START, 1)[1].split(DROPPED_END, 1)[0]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 4 and cells[0] not in ('configuration', '---') and not cells[0].startswith('-'):
            rows.append({'source': cells[0], 'seed': cells[1], 'configured': cells[2], 'why': cells[3]})
    return rows


def _counts(rows, key):
    c = collections.Counter(r[key] for r in rows)
    return ', '.join(f'{k} {v}' for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def _table(rows, key):
    c = collections.Counter(r[key] for r in rows)
    lines = [f'| {key} | runs |', '| --- | ---: |']
    lines += [f'| {k} | {v} |' for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]
    return '\n'.join(lines)


STYLE_DOC = """| style | file | what writes it |
| --- | --- | --- |
| jsonl | metrics.jsonl | a JSON Lines logger: one object per step and/or epoch (`train_loss` or `train/loss`, `val_loss`, `lr`, `grad_norm`, `grad_norm/<layer>`, `step_time`, ...); non-finite values as "nan" / "inf" strings |
| hf_state | trainer_state.json | Hugging Face `Trainer`: `log_history` with a training entry every `logging_steps` (loss averaged and rounded to 4 decimals, `grad_norm`, `learning_rate`), an `eval_loss` entry per epoch and a closing summary; NaN written as a bare `NaN` |
| hf_console | train.log | the same Trainer's console output: its banner and the printed dicts (`{'loss': .., 'grad_norm': .., 'learning_rate': .., 'epoch': 0.53}`) |
| lightning | metrics.csv | PyTorch Lightning `CSVLogger`: sorted columns, sparse rows (step rows, `lr-<Optimizer>` rows from `LearningRateMonitor`, validation rows, epoch rows); gradient norms as Lightning's `grad_norm` utility names them (`grad_2.0_norm_total`, `grad_2.0_norm/<parameter>`) |
| keras_csv | training.log / history.csv | Keras `CSVLogger`: `epoch` (from 0) then sorted keys (`accuracy`, `loss`, `lr`, `val_accuracy`, `val_loss`, extra keys a callback adds) |
| keras_console | train.log | Keras `fit(verbose=2)`: `Epoch 3/20` then `45/45 - 0s - loss: 0.5234 - accuracy: 0.8245 - val_loss: .. - 82ms/epoch - 2ms/step` |
| kv | train.log | a hand-written loop: `[epoch 4] train_loss=0.5123 val_loss=0.6234 lr=0.001 ...` |
| pipe | train.log | `step 120 \\| loss 2.3141 \\| lr 3.0e-04 \\| grad_norm 0.812` |
| buildgpt | train.log | the GPT-2 reproduction script: `step    10 \\| loss: 2.314100 \\| lr 3.0000e-04 \\| norm: 0.8120 \\| dt: 12.34ms \\| tok/sec: 41234.56`, `validation loss: 2.2345` |
| nanogpt | train.log | nanoGPT: `iter 100: loss 2.1234, time 45.23ms, mfu 0.00%` and `step 500: train loss 2.1, val loss 2.2` |
| imagenet | train.log | the PyTorch ImageNet example: `Epoch: [2][100/391]\\tTime ..\\tData ..\\tLoss 1.2345e+00 (1.3456e+00)\\tAcc@1 ..`, `Test: [0/2] ..`, ` * Acc@1 .. Acc@5 ..` |
| seed | train.log | the training service's own log: timestamped `Epoch [3/10] started`, `Train Loss: 0.5234, Train Accuracy: 82.45%`, `Validation Loss: .., Validation Accuracy: ..%` |
| wlm | train.log | the PyTorch word_language_model example: `\\| epoch   1 \\|   200/ 2983 batches \\| lr 20.00 \\| ms/batch 45.12 \\| loss  7.63 \\| ppl  2065.32` and `\\| end of epoch ..` blocks |"""


def write_readme(out, rows, dropped, wall_seconds, n_jobs):
    path = os.path.join(out, 'README.md')
    old = open(path).read() if os.path.exists(path) else ''
    if wall_seconds is not None:
        time_line = (f'The last full generation took {wall_seconds / 60:.0f} minutes with `--jobs 2` '
                     f'on two shared CPU cores ({n_jobs} training runs, plus the reference runs some checks need).')
    else:
        m = TIME_LINE.search(old)
        time_line = m.group(0) if m else 'The last full generation took (not recorded).'
    relabelled = [r for r in rows if 'relabelled' in r['justification']]
    T = labels
    text = f"""# Training-log corpus

Logs of real training runs, each labelled with what went wrong (or that nothing did), on which
the diagnoser is evaluated: for every run, does it raise the finding the run deserves, how soon
after the problem shows, and does it stay quiet on healthy runs.

Every run trained a small PyTorch model on CPU: MLPs, conv nets on 8x8 digit images, RNN / GRU /
LSTM and Transformer encoders on sequences, character-level LSTM and Transformer language models,
regression MLPs. Data: scikit-learn's bundled sets (digits, iris, wine, breast cancer, diabetes),
its generators (make_classification, make_regression, make_moons, Friedman #1), synthetic
sequence tasks (token counting, the adding problem) and, for language models, the licence texts
in `/usr/share/common-licenses`. Optimisers (SGD with and without momentum, Adam, AdamW, RMSprop),
schedules (constant, warm-up + cosine, warm-up + linear, step decay, OneCycle, cosine with warm
restarts, ReduceLROnPlateau) and precision (fp32, bfloat16 autocast) vary across runs, and each
configuration runs with two or more seeds.

Each pathology has a genuine cause: a learning rate far too high or too low, too little data for
a large model, huge or tiny initialisation, large negative biases, saturating activations in deep
stacks, a too-small model, a data loader that starts sleeping (the one simulated part: the sleep
is real, the times are measured). No metric value was written by hand or edited.

## Layout

- `<run>/<file>`: one folder per run, holding one log file in that run's style under its natural
  name. Run names read `<family>-<label>-<configuration>-s<seed>`; the file itself does not name
  the label.
- `expected.tsv`: `name`, `label`, `accepted` (the finding kinds that count as a correct
  detection; empty for `healthy` and `mild`).
- `INDEX.tsv`: per run, the configuration id (`source`, shared by its seeds), family, optimiser,
  schedule, precision, style, level (`step`, `epoch` or `both`), label, `onset`, file, and a
  justification with the numbers that confirm the label.

## Regenerating

```
apt-get install python3-torch python3-sklearn
/usr/bin/python3 eval/corpus/generate.py --out test/fixtures/corpus            # everything
/usr/bin/python3 eval/corpus/generate.py --out test/fixtures/corpus --only 'gru-'   # a subset (regex)
/usr/bin/python3 eval/corpus/generate.py --list                                 # the configurations
```

Runs are deterministic given their seeds (model, data split, batch order); measured times are
not. {time_line}

## Points and onset

A *point* is one metric-bearing record of the file, in file order: a JSON line, a CSV data row, a
`log_history` entry, or a text line that carries metric values (`Epoch 3/20`, banners and
`New best model saved` lines are not points). `onset` is the 0-based index of the first point at
which the label's condition measurably holds on the points seen so far, by the criteria below
(empty for healthy and mild runs).

## Label criteria

A run keeps the label it was configured for only if its logged numbers (as written, after the
format's rounding) show it. Otherwise it is relabelled when the numbers clearly show another
label (checked in the order nan_loss, exploding_gradients, divergence, dead_relu,
vanishing_gradients, overfitting, slow_throughput, oscillation, plateau, lr_too_low; a run
configured healthy may also become mild), or dropped. A run configured for a problem that it
does not show is never relabelled healthy: it is dropped. "Smoothed" is a trailing median over 5 points (3 for curves under 40 points, none under 10); "start" and "end" are medians of the first and last 3 to 5 points; the
train loss is the per-step one when the file has it.

| label | criterion |
| --- | --- |
| healthy | no non-finite loss; train loss fell by at least {T.HEALTHY_DROP:.0%} of its start and ends within {T.HEALTHY_END:.0%} of its total drop from its minimum; final val loss within {T.HEALTHY_VAL_RATIO}x its minimum; no sustained slowdown |
| mild | as healthy, but final val loss between {T.HEALTHY_VAL_RATIO}x and {T.MILD_VAL_RATIO}x its minimum (not scored as a false alarm if only overfitting is raised) |
| overfitting | final val loss >= {T.OVERFIT_RATIO}x its minimum while the smoothed train loss at the end is below its value at the val minimum (a healthy-configured run over {T.MILD_VAL_RATIO}x is relabelled overfitting); onset: first val point where this holds so far |
| divergence | smoothed train loss >= {T.DIVERGE_RATIO:g}x its running minimum and still >= {T.DIVERGE_RATIO:g}x its minimum at the end of the run (a bump that recovers is not divergence), or a non-finite loss; onset: first point >= {T.DIVERGE_RATIO:g}x or non-finite |
| nan_loss | a non-finite train or val loss; onset: that point |
| exploding_gradients | gradient norm >= {T.EXPLODE_RATIO:g}x its early baseline (median of the first 5% of points, at least 3) or non-finite, and the smoothed loss >= {T.EXPLODE_LOSS_RATIO}x its running minimum or non-finite; onset: when both have happened |
| vanishing_gradients | smallest/largest layer gradient norm < {T.VANISH_RATIO:g}, or global norm < {T.VANISH_GLOBAL:g}, at half of the points or more, with the loss stuck (moved < {T.STUCK:.0%} over the run); onset: first such point |
| dead_relu | some layer's gradient norm exactly 0 for >= {T.DEAD_MIN_STREAK} consecutive points (and >= {T.DEAD_MIN_FRACTION:.0%} of that layer's points); onset: first point of that streak |
| lr_too_low | loss moved < {T.STUCK:.0%} over the whole run while the same configuration with 100x the learning rate (a reference run, not in the corpus) fell >= {T.LEARNS:.0%}; onset: the point by which the reference had fallen {T.LEARNS:.0%} |
| plateau | smoothed train loss improves < {T.PLATEAU_FLAT:.0%} over the second half and ends above floor + {T.PLATEAU_ABOVE:.0%} of (start - floor), the floor being what a larger model (reference run) reaches; onset: first point after which the loss has been flat over a fifth of the run |
| oscillation | second half of the (lightly smoothed) train loss: (p90 - p10)/median >= {T.OSC_AMPLITUDE}, no trend (change of median between its halves <= {T.OSC_TREND} of p90 - p10), >= {T.OSC_SWINGS} swings between the lower and upper quartile, median >= {T.OSC_NOT_CONVERGED}x the starting loss (not converged); onset: first window of a quarter of the run where this holds |
| slow_throughput | median epoch (or step) time over the last third >= {T.SLOW_RATIO:g}x the early median; onset: first point >= {T.SLOW_RATIO:g}x that stays there |

`accepted` in expected.tsv: {'; '.join(f'{k} -> {",".join(v) or "(none)"}' for k, v in labels.ACCEPTED.items())}.

## Logging styles

{STYLE_DOC}

Runs log per step, per epoch or both; many log the global gradient norm, some per-layer norms,
most (not all) the learning rate, some epoch or step times and throughput.

## Counts

{len(rows)} runs.

{_table(rows, 'label')}

{_table(rows, 'family')}

{_table(rows, 'style')}

- level: {_counts(rows, 'level')}
- optimizer: {_counts(rows, 'optimizer')}
- schedule: {_counts(rows, 'schedule')}
- precision: {_counts(rows, 'precision')}

## Relabelled runs

{chr(10).join(f"- `{r['name']}`: {r['justification']}" for r in relabelled) or 'None.'}

## Dropped runs

Configured runs whose numbers showed neither their label nor another one clearly.

{DROPPED_START}
| configuration | seed | configured | why |
| --- | --- | --- | --- |
{chr(10).join(f"| {d['source']} | {d['seed']} | {d['configured']} | {d['why'].replace('|', '/')} |" for d in dropped)}
{DROPPED_END}
"""
    with open(path, 'w') as f:
        f.write(text)
