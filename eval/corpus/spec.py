"""What one configuration of the corpus is: plain data, so that the catalogue (configs.py)
reads as a table and a configuration can be copied with a few fields changed (twins)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

# Fields a run may log besides its loss(es). A run logs a subset; which one varies on purpose
# so that the diagnoser meets runs without lr, without gradient norms, without timings.
LOG_FIELDS = {'lr', 'grad', 'layers', 'time', 'throughput', 'acc'}


@dataclass
class Config:
    family: str                 # mlp, reg-mlp, cnn, rnn, gru, lstm, transformer, char-lstm, char-transformer
    pathology: str              # the label this configuration is meant to produce
    tail: str                   # the rest of the configuration id: '<family>-<pathology>-<tail>'
    task: str
    model: str
    optimizer: str
    lr: float
    epochs: int
    batch_size: int
    style: str                  # log writer, see styles.py
    level: str                  # 'step', 'epoch' or 'both'
    task_kw: dict = field(default_factory=dict)
    model_kw: dict = field(default_factory=dict)
    opt_kw: dict = field(default_factory=dict)
    schedule: str = 'constant'
    sched_kw: dict = field(default_factory=dict)
    precision: str = 'fp32'     # 'fp32' or 'bf16' (CPU autocast)
    loss: str = 'auto'          # 'auto' (cross-entropy / MSE), 'gauss_nll', 'log_softmax_bug', 'manual_bce'
    clip: Optional[float] = None
    steps_per_epoch: Optional[int] = None   # language models: batches per 'epoch'
    log_every: int = 10                     # steps between step-level records
    log: frozenset = frozenset({'lr', 'grad', 'acc'})
    stall: Optional[tuple] = None           # (first epoch, seconds of sleep per batch) in the data loader
    nan_tail: int = 3                       # records still logged after the first non-finite loss
    twin: Optional[dict] = None             # overrides for the reference run the label check needs
    seeds: tuple = (1, 2)
    file: Optional[str] = None              # file name when the style has more than one natural name
    style_kw: dict = field(default_factory=dict)

    def __post_init__(self):
        unknown = set(self.log) - LOG_FIELDS
        if unknown:
            raise ValueError(f'{self.family}-{self.tail}: unknown logged fields {sorted(unknown)}')
        if self.level not in ('step', 'epoch', 'both'):
            raise ValueError(f'{self.family}-{self.tail}: level {self.level!r}')

    def with_overrides(self, overrides: dict) -> 'Config':
        return dataclasses.replace(self, **overrides)

    @property
    def opt_label(self) -> str:
        name = self.optimizer.lower()
        if name == 'sgd' and self.opt_kw.get('momentum'):
            return 'sgd-momentum'
        return name
