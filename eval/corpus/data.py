"""Data sets for the corpus: everything here is on disk already (scikit-learn's bundled sets,
its synthetic generators, synthetic sequence tasks, and licence texts for character models),
so generation needs no network."""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
from sklearn import datasets


@dataclass
class Task:
    """One learning problem, already split and as tensors.

    kind is 'classify', 'regress' or 'lm'. For 'lm' the x tensors hold one long token stream
    (y is unused) and batches are drawn as random windows of `context` tokens."""

    name: str
    kind: str
    x_train: torch.Tensor
    y_train: Optional[torch.Tensor]
    x_val: torch.Tensor
    y_val: Optional[torch.Tensor]
    n_out: int  # classes, regression outputs, or vocabulary size
    meta: dict = field(default_factory=dict)


def _split(x: np.ndarray, y: np.ndarray, seed: int, n_val: int, n_train: Optional[int]):
    """A seeded shuffle, then a validation slice and (optionally) a small training subset.

    A small n_train is how the overfitting runs get 'little data': the validation set stays
    large so that its loss is a fair estimate of generalisation."""
    order = np.random.RandomState(seed).permutation(len(x))
    val, rest = order[:n_val], order[n_val:]
    train = rest if n_train is None else rest[:n_train]
    return x[train], y[train], x[val], y[val]


def _noisy_labels(y: np.ndarray, rate: float, n_classes: int, seed: int) -> np.ndarray:
    """Replace a fraction of training labels by random classes: a model that memorises them
    overfits for certain, which is the genuine mechanism behind most overfitting in practice."""
    if rate <= 0:
        return y
    rng = np.random.RandomState(seed + 1000)
    y = y.copy()
    flip = rng.rand(len(y)) < rate
    y[flip] = rng.randint(0, n_classes, flip.sum())
    return y


def _classify(name, x, y, n_classes, seed, n_val, n_train=None, label_noise=0.0, **meta) -> Task:
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.int64), seed, n_val, n_train)
    yt = _noisy_labels(yt, label_noise, n_classes, seed)
    return Task(name, 'classify', torch.from_numpy(xt), torch.from_numpy(yt),
                torch.from_numpy(xv), torch.from_numpy(yv), n_classes, meta)


def _standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(0)) / (x.std(0) + 1e-8)


def digits(seed: int, shape: str = 'flat', n_train=None, label_noise=0.0, n_val=450) -> Task:
    """8x8 handwritten digits (1797 images). shape: 'flat' (64 features), 'image' (1x8x8 for
    conv nets) or 'rows' (8 steps of 8 features, for recurrent nets and transformers)."""
    d = datasets.load_digits()
    x = d.data / 16.0
    if shape == 'image':
        x = x.reshape(-1, 1, 8, 8)
    elif shape == 'rows':
        x = x.reshape(-1, 8, 8)
    return _classify('digits', x, d.target, 10, seed, n_val, n_train, label_noise)


def tabular(seed: int, which: str, n_train=None, label_noise=0.0) -> Task:
    """Small bundled tables (iris, wine, breast cancer), standardised."""
    loader = {'iris': datasets.load_iris, 'wine': datasets.load_wine,
              'breast_cancer': datasets.load_breast_cancer}[which]
    d = loader()
    n_classes = int(d.target.max()) + 1
    n_val = max(30, len(d.target) // 4)
    return _classify(which, _standardise(d.data), d.target, n_classes, seed, n_val, n_train, label_noise)


def synthetic_classes(seed: int, n_samples=2000, n_features=20, n_informative=10, n_classes=4,
                      flip_y=0.0, class_sep=1.0, n_train=None, n_val=500) -> Task:
    """sklearn's make_classification; its own random_state is fixed so that every seed of a
    configuration sees the same problem and only the split and initialisation vary."""
    x, y = datasets.make_classification(n_samples=n_samples, n_features=n_features,
                                        n_informative=n_informative, n_redundant=2,
                                        n_classes=n_classes, flip_y=flip_y, class_sep=class_sep,
                                        random_state=7)
    return _classify('make_classification', x, y, n_classes, seed, n_val, n_train)


def moons(seed: int, n_samples=1500, noise=0.2) -> Task:
    x, y = datasets.make_moons(n_samples=n_samples, noise=noise, random_state=3)
    return _classify('moons', x, y, 2, seed, 400)


def _regress(name, x, y, seed, n_val, n_train=None, scale_target=True, **meta) -> Task:
    x = _standardise(x)
    if scale_target:
        y = (y - y.mean()) / y.std()
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.float32).reshape(-1, 1), seed, n_val, n_train)
    return Task(name, 'regress', torch.from_numpy(xt), torch.from_numpy(yt),
                torch.from_numpy(xv), torch.from_numpy(yv), 1, meta)


def diabetes(seed: int, n_train=None, scale_target=True) -> Task:
    """442 patients, 10 features. scale_target=False keeps the raw targets (25..346): a plain
    MSE on those gives gradients hundreds of times larger, a real cause of blow-ups."""
    d = datasets.load_diabetes()
    return _regress('diabetes', d.data, d.target, seed, 110, n_train, scale_target)


def synthetic_regression(seed: int, n_samples=1500, n_features=16, noise=10.0, nonlinear=False,
                         n_train=None) -> Task:
    """make_regression (linear target), or Friedman #1 (nonlinear) when a too-simple model
    must plateau well above what a capable model reaches."""
    if nonlinear:
        x, y = datasets.make_friedman1(n_samples=n_samples, n_features=max(5, n_features), noise=0.3,
                                       random_state=5)
    else:
        x, y = datasets.make_regression(n_samples=n_samples, n_features=n_features, n_informative=8,
                                        noise=noise, random_state=5)
    return _regress('friedman1' if nonlinear else 'make_regression', x, y, seed, 400, n_train)


def count_sequences(seed: int, n_samples=3000, length=24, vocab=12, n_classes=4, label_noise=0.0,
                    n_train=None) -> Task:
    """Token sequences; the label is which of the first n_classes 'marker' tokens occurs most
    often (ties broken by the lowest id). Solvable by attention or a recurrent counter."""
    rng = np.random.RandomState(11)
    x = rng.randint(0, vocab, size=(n_samples, length))
    counts = np.stack([(x == c).sum(1) for c in range(n_classes)], 1)
    y = counts.argmax(1)
    t = _classify('count_sequences', x, y, n_classes, seed, 600, n_train, label_noise, vocab=vocab)
    t.x_train, t.x_val = t.x_train.long(), t.x_val.long()
    return t


def adding_problem(seed: int, n_samples=3000, length=40, n_train=None) -> Task:
    """The classic long-memory regression for recurrent nets (Hochreiter & Schmidhuber):
    each step carries a random value and a marker; the target is the sum of the two marked
    values. Gradients must cross the whole sequence, which is where they explode or vanish."""
    rng = np.random.RandomState(13)
    values = rng.rand(n_samples, length)
    marks = np.zeros((n_samples, length))
    for i in range(n_samples):
        a = rng.randint(0, length // 2)
        b = rng.randint(length // 2, length)
        marks[i, [a, b]] = 1.0
    x = np.stack([values, marks], -1).astype(np.float32)
    y = (values * marks).sum(1, keepdims=True).astype(np.float32)
    xt, yt, xv, yv = _split(x, y, seed, 600, n_train)
    return Task('adding_problem', 'regress', torch.from_numpy(xt), torch.from_numpy(yt),
                torch.from_numpy(xv), torch.from_numpy(yv), 1)


LICENCE_DIR = '/usr/share/common-licenses'


def _licence_text() -> str:
    """Free-software licence texts that every Debian system ships: plain English prose."""
    parts = []
    for path in sorted(glob.glob(os.path.join(LICENCE_DIR, '*'))):
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, encoding='utf-8', errors='replace') as f:
            parts.append(f.read())
    return '\n'.join(parts)


def characters(seed: int, n_chars: Optional[int] = None, context=64) -> Task:
    """A character-level language-modelling stream. The first 90% is for training and the rest
    for validation; n_chars limits the training text (little text + a big model = overfitting)."""
    text = _licence_text()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    cut = int(len(ids) * 0.9)
    train, val = ids[:cut], ids[cut:]
    if n_chars is not None:
        train = train[:n_chars]
    return Task('licence_chars', 'lm', train, None, val, None, len(vocab), {'context': context})


def make_task(name: str, seed: int, **kw) -> Task:
    """Task factory by name, so that configurations stay plain data."""
    return {
        'digits': digits, 'tabular': tabular, 'classes': synthetic_classes, 'moons': moons,
        'diabetes': diabetes, 'regression': synthetic_regression, 'count': count_sequences,
        'adding': adding_problem, 'chars': characters,
    }[name](seed, **kw)
