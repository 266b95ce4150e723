"""The catalogue: every configuration of the corpus, grouped by the label it is meant to produce.

Each entry names its genuine cause in its comment. Families, optimisers, schedules, precisions,
logging styles and levels are spread across labels on purpose, so that no surface feature of a
file predicts its label."""
from __future__ import annotations

from spec import Config

# Logged-field presets (see spec.LOG_FIELDS).
BASIC = frozenset({'lr', 'grad', 'acc'})
NO_LR = frozenset({'grad', 'acc'})
LOSS_ONLY = frozenset({'acc'})
LAYERS = frozenset({'lr', 'grad', 'layers', 'acc'})
TIMED = frozenset({'lr', 'grad', 'acc', 'time', 'throughput'})

# Task shortcuts.
DIGITS = dict(task='digits')
IMAGES = dict(task='digits', task_kw={'shape': 'image'})
ROWS = dict(task='digits', task_kw={'shape': 'rows'})
COUNT = dict(task='count', task_kw={'n_samples': 2000})
CHARS = dict(task='chars', task_kw={'context': 32})


def C(family, pathology, tail, **kw) -> Config:
    kw.setdefault('model', {'reg-mlp': 'mlp', 'char-lstm': 'char_lstm',
                            'char-transformer': 'char_transformer'}.get(family, family))
    return Config(family=family, pathology=pathology, tail=tail, **kw)


def healthy():
    H = 'healthy'
    return [
        # Plain Adam on digits: the reference case, per-epoch JSON with timings.
        C('mlp', H, 'adam-const', **DIGITS, model_kw={'hidden': [128]}, optimizer='adam', lr=1e-3,
          epochs=30, batch_size=64, style='jsonl', level='epoch', log=frozenset({'lr', 'grad', 'acc', 'time'}), seeds=(1, 2, 3)),
        # Step decay: the loss drops at each decay.
        C('mlp', H, 'sgdm-step', **DIGITS, model_kw={'hidden': [256, 128]}, optimizer='sgd', lr=0.05,
          opt_kw={'momentum': 0.9}, schedule='step', sched_kw={'step_size': 10}, epochs=30, batch_size=64,
          style='keras_csv', level='epoch', log=frozenset({'lr', 'acc'}), seeds=(1, 2, 3)),
        # Cosine with warm restarts: each restart bumps the training loss back up for a while.
        C('mlp', H, 'sgdr', task='classes', task_kw={'flip_y': 0.02, 'n_samples': 5000},
          model_kw={'hidden': [128, 64], 'dropout': 0.2}, optimizer='sgd', lr=0.1,
          opt_kw={'momentum': 0.9, 'weight_decay': 5e-4}, schedule='sgdr', sched_kw={'t0': 5, 't_mult': 2},
          epochs=35, batch_size=64, style='kv', level='epoch', log=BASIC, seeds=(1, 2, 3)),
        # Batch size 8: per-step losses jump around a falling trend.
        C('mlp', H, 'smallbatch-adam', **DIGITS, model_kw={'hidden': [64]}, optimizer='adam', lr=5e-4,
          epochs=6, batch_size=8, style='hf_console', level='both', log_every=20),
        # Cosine to zero on a small table: the loss ends flat because the lr does.
        C('mlp', H, 'adamw-cosine-zero', task='tabular', task_kw={'which': 'breast_cancer'},
          model_kw={'hidden': [64], 'dropout': 0.2}, optimizer='adamw', lr=3e-3, opt_kw={'weight_decay': 0.05},
          schedule='cosine', epochs=60, batch_size=32, style='lightning', level='epoch', log=frozenset({'lr', 'acc'})),
        # Iris: 38 validation samples, so a noisy validation loss that does not rise.
        C('mlp', H, 'iris-adam', task='tabular', task_kw={'which': 'iris'}, model_kw={'hidden': [32]},
          optimizer='adam', lr=0.01, epochs=25, batch_size=16, style='keras_csv', level='epoch', log=LOSS_ONLY,
          file='history.csv', seeds=(1, 2, 3)),
        C('mlp', H, 'moons-sgdm', task='moons', model_kw={'hidden': [32, 32]}, optimizer='sgd', lr=0.03,
          opt_kw={'momentum': 0.9}, epochs=30, batch_size=32, style='pipe', level='step', log_every=5,
          log=frozenset({'lr', 'grad'})),
        # Timings logged but nothing slows down (a false-alarm test for slow_throughput).
        C('mlp', H, 'adam-timed', **DIGITS, model_kw={'hidden': [128]}, optimizer='adam', lr=1e-3,
          epochs=10, batch_size=32, style='imagenet', level='both', log_every=10, style_kw={'log_rule': 'in_epoch'}),
        C('mlp', H, 'bf16-onecycle', **DIGITS, model_kw={'hidden': [256, 128]}, optimizer='sgd', lr=0.2,
          opt_kw={'momentum': 0.9}, schedule='onecycle', precision='bf16', epochs=20, batch_size=64,
          style='jsonl', level='both', log_every=10, log=TIMED, style_kw={'keys': 'slash'}),
        # Warm-up without the lr in the log: the early loss may rise while the lr climbs.
        C('mlp', H, 'adamw-warmup-nolr', task='classes', model_kw={'hidden': [256, 256]}, optimizer='adamw',
          lr=3e-3, schedule='warmup_cosine', sched_kw={'warmup': 0.1}, epochs=25, batch_size=64,
          style='jsonl', level='step', log_every=10, log=frozenset({'grad'})),
        C('cnn', H, 'adamw-cosine', **IMAGES, optimizer='adamw', lr=3e-3, opt_kw={'weight_decay': 0.01},
          schedule='warmup_cosine', sched_kw={'warmup': 0.05}, epochs=15, batch_size=64,
          style='hf_state', level='both', log_every=10),
        C('cnn', H, 'sgd-onecycle', **IMAGES, optimizer='sgd', lr=0.1, opt_kw={'momentum': 0.9},
          schedule='onecycle', epochs=15, batch_size=64, style='lightning', level='both', log_every=10, log=BASIC, seeds=(1, 2, 3)),
        C('cnn', H, 'bf16-adam', **IMAGES, model_kw={'channels': [16, 32], 'batch_norm': True}, optimizer='adam',
          lr=2e-3, precision='bf16', epochs=12, batch_size=32, style='imagenet', level='both', log_every=10,
          style_kw={'log_rule': 'in_epoch'}),
        C('cnn', H, 'sgdm-multistep', **IMAGES, optimizer='sgd', lr=0.05, opt_kw={'momentum': 0.9},
          schedule='multistep', sched_kw={'milestones': [8, 14]}, epochs=18, batch_size=64,
          style='keras_console', level='epoch', log=frozenset({'lr', 'acc'}), seeds=(1, 2, 3)),
        C('cnn', H, 'adam-plateau', **IMAGES, optimizer='adam', lr=1e-3, schedule='plateau',
          sched_kw={'factor': 0.5, 'patience': 2}, epochs=25, batch_size=64, style='seed', level='epoch'),
        # Per-layer gradient norms of a healthy net (false-alarm test for vanishing / dead units).
        C('cnn', H, 'adamw-linear-layers', **IMAGES, optimizer='adamw', lr=2e-3, schedule='warmup_linear',
          sched_kw={'warmup': 0.1}, epochs=12, batch_size=64, style='jsonl', level='step', log_every=10, log=LAYERS),
        C('gru', H, 'adam-plateau', **ROWS, model_kw={'hidden': 64}, optimizer='adam', lr=3e-3, schedule='plateau',
          sched_kw={'factor': 0.5, 'patience': 2}, epochs=20, batch_size=64, style='seed', level='epoch', seeds=(1, 2, 3)),
        C('gru', H, 'sgdm-step-nolr', **ROWS, model_kw={'hidden': 64}, optimizer='sgd', lr=0.1,
          opt_kw={'momentum': 0.9}, schedule='step', sched_kw={'step_size': 12, 'gamma': 0.2}, epochs=25,
          batch_size=32, clip=5.0, style='kv', level='epoch', log=NO_LR),
        C('lstm', H, 'rmsprop', **COUNT, model_kw={'hidden': 64}, optimizer='rmsprop', lr=2e-3, epochs=25,
          batch_size=64, style='keras_console', level='epoch', log=frozenset({'lr', 'acc'})),
        C('lstm', H, 'adamw-linear', **COUNT, model_kw={'hidden': 64}, optimizer='adamw', lr=3e-3,
          schedule='warmup_linear', sched_kw={'warmup': 0.06}, epochs=20, batch_size=64, style='hf_console',
          level='both', log_every=20),
        C('rnn', H, 'adam-clip', **ROWS, model_kw={'hidden': 64}, optimizer='adam', lr=2e-3, clip=1.0, epochs=20,
          batch_size=64, style='lightning', level='step', log_every=10, log=frozenset({'lr', 'grad'}), seeds=(1, 2, 3)),
        C('transformer', H, 'adamw-warmup-nolr', **COUNT, model_kw={'d_model': 64, 'layers': 2}, optimizer='adamw',
          lr=1e-3, schedule='warmup_cosine', sched_kw={'warmup': 0.1}, epochs=20, batch_size=64,
          style='jsonl', level='step', log_every=10, log=frozenset({'grad'})),
        C('transformer', H, 'bf16-onecycle', **COUNT, model_kw={'d_model': 64, 'layers': 2}, optimizer='adamw',
          lr=2e-3, schedule='onecycle', precision='bf16', epochs=20, batch_size=64, style='hf_state',
          level='both', log_every=20),
        C('transformer', H, 'rows-adam', **ROWS, model_kw={'d_model': 64, 'layers': 2}, optimizer='adam', lr=1e-3,
          schedule='warmup_constant', sched_kw={'warmup': 0.05}, epochs=15, batch_size=64, style='lightning',
          level='epoch', log=frozenset({'lr', 'acc', 'time'})),
        C('char-transformer', H, 'adamw-cosine', **CHARS, optimizer='adamw', lr=3e-3,
          schedule='warmup_cosine', sched_kw={'warmup': 0.05, 'min_ratio': 0.1}, epochs=6, steps_per_epoch=100,
          batch_size=16, clip=1.0, style='buildgpt', level='both', log_every=5),
        C('char-transformer', H, 'adamw-nanogpt', **CHARS, optimizer='adamw', lr=1e-3, opt_kw={'weight_decay': 0.1},
          schedule='warmup_cosine', sched_kw={'warmup': 0.1, 'min_ratio': 0.1}, epochs=10, steps_per_epoch=80,
          batch_size=16, clip=1.0, style='nanogpt', level='both', log_every=10),
        # The PyTorch example's recipe: SGD at lr 20, clipping 0.25, lr / 4 when validation stalls.
        C('char-lstm', H, 'sgd-anneal', **CHARS, model_kw={'hidden': 128}, optimizer='sgd', lr=20.0, clip=0.25,
          schedule='plateau', sched_kw={'factor': 0.25, 'patience': 0}, epochs=6, steps_per_epoch=120,
          batch_size=16, style='wlm', level='both', log_every=20, style_kw={'log_rule': 'in_epoch'}),
        C('char-lstm', H, 'adam', **CHARS, model_kw={'hidden': 128}, optimizer='adam', lr=3e-3, epochs=6,
          steps_per_epoch=100, batch_size=16, style='jsonl', level='both', log_every=10,
          log=frozenset({'lr', 'grad', 'throughput'})),
        C('reg-mlp', H, 'rmsprop', task='diabetes', model_kw={'hidden': [16]}, optimizer='rmsprop', lr=3e-4,
          opt_kw={'weight_decay': 1e-3}, epochs=80, batch_size=32, style='jsonl', level='epoch',
          log=frozenset({'lr', 'grad'})),
        # Gaussian negative log-likelihood: a healthy loss that goes below zero.
        C('reg-mlp', H, 'gauss-nll', task='regression', model_kw={'hidden': [64, 64], 'n_out': 2},
          loss='gauss_nll', optimizer='adam', lr=1e-3, epochs=20, batch_size=64, style='jsonl', level='epoch',
          log=frozenset({'lr'})),
        C('reg-mlp', H, 'sgdm-step', task='regression', model_kw={'hidden': [64]}, optimizer='sgd', lr=0.01,
          opt_kw={'momentum': 0.9}, schedule='step', sched_kw={'step_size': 15, 'gamma': 0.3}, epochs=40,
          batch_size=32, style='kv', level='epoch', log=frozenset({'lr'}), seeds=(1, 2, 3)),
        C('reg-mlp', H, 'friedman-adamw', task='regression', task_kw={'nonlinear': True},
          model_kw={'hidden': [64, 64]}, optimizer='adamw', lr=3e-3, schedule='cosine', epochs=60, batch_size=32,
          style='lightning', level='both', log_every=10, log=frozenset({'lr', 'grad'}), seeds=(1, 2, 3)),
    ]


def overfitting():
    O = 'overfitting'
    return [
        # Large nets memorising small training sets with noisy labels, no regularisation.
        C('mlp', O, 'adam-noisy300', task='digits', task_kw={'n_train': 300, 'label_noise': 0.2},
          model_kw={'hidden': [512, 512]}, optimizer='adam', lr=1e-3, epochs=100, batch_size=32,
          style='keras_csv', level='epoch', log=LOSS_ONLY, file='history.csv'),
        C('cnn', O, 'adamw-nowd', task='digits', task_kw={'shape': 'image', 'n_train': 300, 'label_noise': 0.3},
          model_kw={'channels': [32, 64]}, optimizer='adamw', lr=2e-3, opt_kw={'weight_decay': 0.0},
          epochs=100, batch_size=32, style='lightning', level='epoch', log=frozenset({'lr', 'acc'})),
        C('gru', O, 'adamw-cosine', task='digits', task_kw={'shape': 'rows', 'n_train': 300, 'label_noise': 0.2},
          model_kw={'hidden': 128}, optimizer='adamw', lr=3e-3, opt_kw={'weight_decay': 0.0}, schedule='cosine',
          epochs=80, batch_size=32, style='seed', level='epoch'),
        C('transformer', O, 'adam', task='count', task_kw={'n_train': 300, 'label_noise': 0.2},
          model_kw={'d_model': 64, 'layers': 2}, optimizer='adam', lr=1e-3, epochs=60, batch_size=32,
          style='jsonl', level='both', log_every=5, log=BASIC),
        C('reg-mlp', O, 'sgdm', task='diabetes', task_kw={'n_train': 100}, model_kw={'hidden': [256, 256]},
          optimizer='sgd', lr=0.01, opt_kw={'momentum': 0.9}, epochs=300, batch_size=16, style='kv',
          level='epoch', log=frozenset({'lr'})),
        # A language model with far more parameters than its 3,000 characters of text.
        C('char-lstm', O, 'adam-smalltext', task='chars', task_kw={'context': 32, 'n_chars': 3000},
          model_kw={'hidden': 256}, optimizer='adam', lr=3e-3, epochs=12, steps_per_epoch=50, batch_size=16,
          style='wlm', level='both', log_every=10, style_kw={'log_rule': 'in_epoch'}),
        C('mlp', O, 'hf-adam', task='classes', task_kw={'flip_y': 0.3, 'n_train': 200},
          model_kw={'hidden': [256, 256]}, optimizer='adam', lr=1e-3, epochs=60, batch_size=32,
          style='hf_console', level='both', log_every=5),
        C('lstm', O, 'rmsprop-noisy300', task='count', task_kw={'n_train': 300, 'label_noise': 0.25},
          model_kw={'hidden': 128}, optimizer='rmsprop', lr=1e-3, epochs=60, batch_size=32,
          style='keras_console', level='epoch', log=frozenset({'acc'})),
    ]


def divergence():
    D = 'divergence'
    return [
        # SGD with momentum 0.99 at lr 0.1: every step overshoots a little more.
        C('mlp', D, 'sgdm099-lr0.1', task='classes', model_kw={'hidden': [64]}, optimizer='sgd', lr=0.1,
          opt_kw={'momentum': 0.99}, epochs=30, batch_size=64, style='keras_console', level='epoch',
          log=frozenset({'lr', 'acc'})),
        C('cnn', D, 'sgdm099-lr0.05', **IMAGES, optimizer='sgd', lr=0.05, opt_kw={'momentum': 0.99}, epochs=10,
          batch_size=64, style='jsonl', level='step', log_every=5, log=frozenset({'lr', 'grad'})),
        C('gru', D, 'sgdm099-lr0.5', **ROWS, model_kw={'hidden': 64}, optimizer='sgd', lr=0.5,
          opt_kw={'momentum': 0.99}, epochs=10, batch_size=64, style='seed', level='epoch'),
        # Post-LN transformer, no warm-up, SGD with momentum at lr 0.5.
        C('transformer', D, 'postln-sgdm-lr0.5', **COUNT, model_kw={'d_model': 64, 'layers': 2, 'norm_first': False},
          optimizer='sgd', lr=0.5, opt_kw={'momentum': 0.9}, epochs=8, batch_size=64, style='hf_console',
          level='both', log_every=5),
        # Learns first, then SGD momentum at lr 0.3 on the full batch outgrows the curvature.
        C('reg-mlp', D, 'tanh-sgdm-fullbatch', task='diabetes', model_kw={'hidden': [32, 32], 'act': 'tanh'},
          optimizer='sgd', lr=0.3, opt_kw={'momentum': 0.9}, epochs=150, batch_size=400, style='lightning',
          level='step', log_every=2, log=frozenset({'lr'})),
        # The word-language-model recipe without clipping, warming up to lr 60: fine until the lr
        # gets high.
        C('char-lstm', D, 'sgd-warmup-lr60-noclip', **CHARS, model_kw={'hidden': 128}, optimizer='sgd', lr=60.0,
          schedule='warmup_constant', sched_kw={'warmup': 0.4}, epochs=5, steps_per_epoch=60, batch_size=16,
          style='buildgpt', level='step', log_every=3),
        C('char-transformer', D, 'adam-lr1', **CHARS, optimizer='adam', lr=1.0, epochs=3, steps_per_epoch=60,
          batch_size=16, style='buildgpt', level='both', log_every=3),
        # Warm-up to an lr a hundred times too high, without the lr in the log.
        C('mlp', D, 'adamw-warmup-lr0.3-nolr', **DIGITS, model_kw={'hidden': [256, 256]}, optimizer='adamw',
          lr=0.3, schedule='warmup_constant', sched_kw={'warmup': 0.4}, epochs=15, batch_size=64,
          style='pipe', level='step', log_every=5, log=frozenset({'grad'})),
    ]


def nan_loss():
    N = 'nan_loss'
    return [
        # The model returns softmax probabilities and the loss takes their log: once a class
        # probability underflows to 0, log(0) = -inf, then NaN gradients.
        C('mlp', N, 'log-softmax-bug', **DIGITS, model_kw={'hidden': [128], 'softmax_output': True},
          loss='log_softmax_bug', optimizer='sgd', lr=1.0, opt_kw={'momentum': 0.9}, epochs=10, batch_size=64,
          style='jsonl', level='step', log_every=5, log=BASIC),
        C('cnn', N, 'log-softmax-bug', **IMAGES, model_kw={'softmax_output': True}, loss='log_softmax_bug',
          optimizer='sgd', lr=0.2, opt_kw={'momentum': 0.9}, epochs=20, batch_size=64, style='hf_state',
          level='both', log_every=5),
        # Raw diabetes targets (25..346) under MSE with SGD: the first steps overshoot to inf.
        C('reg-mlp', N, 'raw-targets-sgd', task='diabetes', task_kw={'scale_target': False},
          model_kw={'hidden': [64]}, optimizer='sgd', lr=0.01, epochs=20, batch_size=32, style='keras_csv',
          level='epoch', log=frozenset({'lr'})),
        # ReLU net, SGD momentum at lr 1: activations grow without bound until they overflow.
        C('mlp', N, 'relu-sgdm-lr1', task='classes', task_kw={'flip_y': 0.25, 'n_samples': 1500},
          model_kw={'hidden': [32]}, optimizer='sgd', lr=1.0, opt_kw={'momentum': 0.9}, epochs=40, batch_size=32,
          style='lightning', level='step', log_every=10, log=BASIC),
        # A hand-written binary cross-entropy in bfloat16: sigmoid rounds to exactly 1.0, log(1 - p) = -inf.
        C('mlp', N, 'bf16-manual-bce', task='tabular', task_kw={'which': 'breast_cancer'},
          model_kw={'hidden': [64]}, loss='manual_bce', precision='bf16', optimizer='adam', lr=0.01, epochs=60,
          batch_size=32, style='jsonl', level='step', log_every=5, log=BASIC),
        C('transformer', N, 'postln-sgd-lr1', **COUNT, model_kw={'d_model': 64, 'layers': 2, 'norm_first': False},
          optimizer='sgd', lr=1.0, opt_kw={'momentum': 0.9}, epochs=10, batch_size=64, style='lightning',
          level='both', log_every=5, log=BASIC),
    ]


def exploding():
    E = 'exploding_gradients'
    return [
        # A tanh RNN whose recurrent weights start 2.5x too large, on 60-step sequences, no clipping.
        C('rnn', E, 'tanh-scale2.5-noclip', task='adding', task_kw={'length': 60},
          model_kw={'hidden': 64, 'recurrent_scale': 2.5}, optimizer='sgd', lr=0.03, epochs=4, batch_size=32,
          style='jsonl', level='step', log_every=2, log=LAYERS, seeds=(1, 2, 3)),
        # Momentum 0.99: the velocity keeps growing along the sharpest direction.
        C('mlp', E, 'sgdm099', task='classes', model_kw={'hidden': [64]}, optimizer='sgd', lr=0.1,
          opt_kw={'momentum': 0.99}, epochs=20, batch_size=64, style='jsonl', level='step', log_every=10,
          log=BASIC, style_kw={'keys': 'slash'}),
        C('reg-mlp', E, 'sgdm099', task='diabetes', model_kw={'hidden': [32], 'act': 'tanh'}, optimizer='sgd',
          lr=0.02, opt_kw={'momentum': 0.99}, epochs=80, batch_size=16, style='kv', level='epoch',
          log=frozenset({'lr', 'grad'}), seeds=(1, 2, 3)),
        C('reg-mlp', E, 'tanh-sgdm-fullbatch-lr0.4', task='diabetes', model_kw={'hidden': [32, 32], 'act': 'tanh'},
          optimizer='sgd', lr=0.4, opt_kw={'momentum': 0.9}, epochs=150, batch_size=400, style='hf_state',
          level='both', log_every=2),
    ]


def vanishing():
    V = 'vanishing_gradients'
    return [
        C('mlp', V, 'sigmoid-deep', **DIGITS, model_kw={'hidden': [64] * 10, 'act': 'sigmoid'}, optimizer='sgd',
          lr=0.1, epochs=10, batch_size=32, style='jsonl', level='step', log_every=10, log=LAYERS),
        C('mlp', V, 'tanh-smallinit', **DIGITS, model_kw={'hidden': [64] * 12, 'act': 'tanh', 'init_std': 0.05},
          optimizer='sgd', lr=0.05, opt_kw={'momentum': 0.9}, epochs=10, batch_size=32, style='lightning',
          level='step', log_every=10, log=LAYERS),
        C('cnn', V, 'sigmoid-deep', **IMAGES, model_kw={'channels': [16] * 7, 'act': 'sigmoid'}, optimizer='sgd',
          lr=0.1, epochs=8, batch_size=64, style='kv', level='epoch', log=LAYERS),
        C('reg-mlp', V, 'sigmoid-deep', task='regression', task_kw={'nonlinear': True},
          model_kw={'hidden': [32] * 10, 'act': 'sigmoid'}, optimizer='sgd', lr=0.05, epochs=30, batch_size=32,
          style='keras_csv', level='epoch', log=frozenset({'lr', 'grad', 'layers'})),
        # Eight stacked tanh RNN layers with a tiny initialisation: the signal shrinks layer by layer.
        C('rnn', V, 'stacked8-smallinit', **ROWS, model_kw={'hidden': 32, 'layers': 8, 'init_std': 0.01},
          optimizer='sgd', lr=0.05, epochs=10, batch_size=32, style='jsonl', level='epoch', log=LAYERS),
    ]


def dead_relu():
    R = 'dead_relu'
    return [
        # Hidden biases initialised at -3: every ReLU starts (and stays) in its flat region.
        C('mlp', R, 'negbias', **DIGITS, model_kw={'hidden': [128, 128], 'hidden_bias': -3.0}, optimizer='adam',
          lr=1e-3, epochs=20, batch_size=64, style='jsonl', level='epoch', log=LAYERS),
        # One huge SGD step pushes the pre-activations negative for every input.
        C('mlp', R, 'sgd-lr3', **DIGITS, model_kw={'hidden': [128, 128]}, optimizer='sgd', lr=3.0, epochs=10,
          batch_size=32, style='lightning', level='step', log_every=10, log=LAYERS),
        C('cnn', R, 'negbias', **IMAGES, model_kw={'hidden_bias': -4.0}, optimizer='adam', lr=1e-3, epochs=10,
          batch_size=64, style='kv', level='epoch', log=LAYERS),
        C('reg-mlp', R, 'negbias-sgd', task='diabetes', model_kw={'hidden': [64, 64], 'hidden_bias': -2.0},
          optimizer='sgd', lr=0.05, epochs=40, batch_size=32, style='keras_csv', level='epoch',
          log=frozenset({'lr', 'grad', 'layers'})),
        C('mlp', R, 'adam-lr0.5', task='classes', model_kw={'hidden': [128, 128]}, optimizer='adam', lr=0.5,
          epochs=15, batch_size=64, style='jsonl', level='step', log_every=10, log=LAYERS),
    ]


def lr_too_low():
    L = 'lr_too_low'
    twin100 = lambda lr: {'lr': lr * 100}  # noqa: E731  the reference: same run, 100x the lr
    return [
        C('mlp', L, 'sgdm-1e-4', **DIGITS, model_kw={'hidden': [128]}, optimizer='sgd', lr=1e-4,
          opt_kw={'momentum': 0.9}, epochs=20, batch_size=64, style='keras_csv', level='epoch',
          log=frozenset({'lr', 'acc'}), twin=twin100(1e-4)),
        C('cnn', L, 'sgdm-1e-5', **IMAGES, optimizer='sgd', lr=1e-5, opt_kw={'momentum': 0.9}, epochs=15,
          batch_size=32, style='hf_state', level='both', log_every=10, twin=twin100(1e-5)),
        C('gru', L, 'adam-1e-5', **ROWS, model_kw={'hidden': 64}, optimizer='adam', lr=1e-5, epochs=15,
          batch_size=32, style='seed', level='epoch', twin=twin100(1e-5)),
        C('transformer', L, 'adam-1e-6', **COUNT, model_kw={'d_model': 64, 'layers': 2}, optimizer='adam', lr=1e-6,
          epochs=20, batch_size=64, style='jsonl', level='step', log_every=10, log=BASIC, twin=twin100(1e-6)),
        C('char-lstm', L, 'adam-3e-6', **CHARS, model_kw={'hidden': 128}, optimizer='adam', lr=3e-6, epochs=6,
          steps_per_epoch=100, batch_size=16, style='nanogpt', level='both', log_every=10, twin=twin100(3e-6)),
        C('reg-mlp', L, 'sgd-1e-5', task='diabetes', model_kw={'hidden': [64]}, optimizer='sgd', lr=1e-5,
          epochs=80, batch_size=32, style='pipe', level='step', log_every=10, log=frozenset({'lr', 'grad'}),
          twin=twin100(1e-5)),
    ]


def plateau():
    P = 'plateau'
    return [
        # Models too small for their task, at a constant lr: the loss stops well above what a
        # larger model reaches (the reference run).
        C('mlp', P, 'two-units', **DIGITS, model_kw={'hidden': [2]}, optimizer='adam', lr=0.01, epochs=100,
          batch_size=64, style='keras_console', level='epoch', log=frozenset({'acc'}),
          twin={'model_kw': {'hidden': [64]}}),
        C('mlp', P, 'moons-one-unit', task='moons', model_kw={'hidden': [1]}, optimizer='sgd', lr=0.1,
          opt_kw={'momentum': 0.9}, epochs=60, batch_size=64, style='seed', level='epoch',
          twin={'model_kw': {'hidden': [32, 32]}}, seeds=(1, 2, 3)),
        # A linear model on a nonlinear target.
        C('reg-mlp', P, 'linear-friedman', task='regression', task_kw={'nonlinear': True}, model_kw={'hidden': []},
          optimizer='adam', lr=0.01, epochs=60, batch_size=32, style='jsonl', level='epoch',
          log=frozenset({'lr', 'grad'}), twin={'model_kw': {'hidden': [64, 64]}}),
        C('char-lstm', P, 'tiny', **CHARS, model_kw={'hidden': 4, 'embed': 8}, optimizer='adam', lr=0.03, epochs=16,
          steps_per_epoch=60, batch_size=16, style='wlm', level='both', log_every=10,
          style_kw={'log_rule': 'in_epoch'}, twin={'model_kw': {'hidden': 128}}),
        C('transformer', P, 'd2', **ROWS, model_kw={'d_model': 2, 'heads': 1, 'layers': 1, 'ff': 4},
          optimizer='adam', lr=0.01, epochs=40, batch_size=64, style='hf_state', level='both', log_every=10,
          twin={'model_kw': {'d_model': 64, 'layers': 2}}),
    ]


def oscillation():
    S = 'oscillation'
    # Tasks whose loss cannot reach 0 (overlapping classes), a tanh net, SGD with momentum at an lr
    # past the edge of stability: the weights keep overshooting and the loss swings without
    # settling, while tanh keeps the activations bounded so it does not blow up.
    moons = {'noise': 0.35}
    tanh = {'hidden': [32], 'act': 'tanh'}
    sgdm = dict(optimizer='sgd', opt_kw={'momentum': 0.9})
    return [
        C('mlp', S, 'moons-tanh-sgdm-lr2', task='moons', task_kw=moons, model_kw=tanh, lr=2.0, **sgdm, epochs=60,
          batch_size=32, style='kv', level='epoch', log=BASIC, seeds=(1, 2, 3)),
        C('mlp', S, 'moons-tanh-sgdm-lr2-pl', task='moons', task_kw=moons, model_kw=tanh, lr=2.0, **sgdm,
          epochs=60, batch_size=32, style='lightning', level='epoch', log=BASIC, seeds=(4, 5, 6)),
        C('mlp', S, 'moons-tanh-sgdm-lr3', task='moons', task_kw=moons, model_kw=tanh, lr=3.0, **sgdm,
          epochs=60, batch_size=32, style='keras_csv', level='epoch', log=BASIC, seeds=(1, 2, 3)),
        C('mlp', S, 'moons-tanh-sgdm-lr2-hf', task='moons', task_kw=moons, model_kw=tanh, lr=2.0, **sgdm,
          epochs=40, batch_size=32, style='hf_state', level='both', log_every=10, seeds=(1, 2, 3)),
        C('mlp', S, 'classes-tanh-sgdm-lr1', task='classes', task_kw={'flip_y': 0.25, 'n_samples': 1500},
          model_kw=tanh, lr=1.0, **sgdm, epochs=40, batch_size=32, style='jsonl', level='both', log_every=10,
          log=BASIC, seeds=(1, 2, 3)),
    ]


def slow():
    T = 'slow_throughput'
    return [
        # From some epoch on, the data loader sleeps before every batch (an I/O-bound pipeline).
        C('mlp', T, 'loader-stall', **DIGITS, model_kw={'hidden': [128]}, optimizer='adam', lr=1e-3, epochs=30,
          batch_size=64, stall=(15, 0.006), style='keras_console', level='epoch', log=frozenset({'acc'})),
        C('cnn', T, 'loader-stall', **IMAGES, optimizer='adam', lr=1e-3, epochs=10, batch_size=32,
          stall=(5, 0.02), style='imagenet', level='both', log_every=10, style_kw={'log_rule': 'in_epoch'}),
        C('char-transformer', T, 'loader-stall', **CHARS, optimizer='adamw', lr=2e-3, schedule='warmup_cosine',
          sched_kw={'warmup': 0.05}, epochs=6, steps_per_epoch=80, batch_size=16, clip=1.0, stall=(3, 0.08),
          style='buildgpt', level='step', log_every=5),
        C('gru', T, 'loader-stall', **ROWS, model_kw={'hidden': 64}, optimizer='rmsprop', lr=2e-3, epochs=20,
          batch_size=64, stall=(10, 0.015), style='jsonl', level='epoch', log=TIMED),
        C('char-lstm', T, 'loader-stall', **CHARS, model_kw={'hidden': 128}, optimizer='sgd', lr=20.0, clip=0.25,
          epochs=6, steps_per_epoch=60, batch_size=16, stall=(3, 0.15), style='wlm', level='both', log_every=20,
          style_kw={'log_rule': 'in_epoch'}),
        C('transformer', T, 'loader-stall', **COUNT, model_kw={'d_model': 64, 'layers': 2}, optimizer='adamw',
          lr=1e-3, schedule='warmup_cosine', sched_kw={'warmup': 0.1}, epochs=14, batch_size=64,
          stall=(7, 0.25), style='lightning', level='both', log_every=10, log=frozenset({'lr', 'time'})),
    ]


def catalogue():
    return (healthy() + overfitting() + divergence() + nan_loss() + exploding() + vanishing() + dead_relu()
            + lr_too_low() + plateau() + oscillation() + slow())


# Rough milliseconds per training step, to start the slowest runs first.
STEP_MS = {'mlp': 1, 'cnn': 3, 'rnn': 4, 'gru': 4, 'lstm': 5, 'transformer': 10, 'char_lstm': 15,
           'char_transformer': 20}


def cost(cfg: Config) -> float:
    if cfg.steps_per_epoch:
        steps = cfg.steps_per_epoch * cfg.epochs
    else:
        steps = cfg.epochs * 1400 / cfg.batch_size
    return steps * STEP_MS.get(cfg.model, 5) * (2 if cfg.twin else 1)
