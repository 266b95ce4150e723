"""Label checks: simple criteria, independent of the product's diagnoser, applied to the points
a log file holds (see styles.py). A run keeps its configured label only if its numbers show it.

Every check returns a Check: whether the condition holds for the run, the onset (index of the
first point, in file order, at which the condition measurably holds on the points seen so far),
and a justification with the numbers."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

# Thresholds, in one place. Each is deliberately clear-cut: a label should be obvious to a
# person reading the curve, so the corpus measures the diagnoser, not borderline taste.
OVERFIT_RATIO = 1.3          # final val loss vs its minimum, for a configured overfitting run
HEALTHY_VAL_RATIO = 1.15     # a healthy run's final val loss is within this of its minimum
MILD_VAL_RATIO = 1.5         # between the two: 'mild' (not scored as a false alarm for overfitting)
DIVERGE_RATIO = 3.0          # smoothed train loss over its running minimum
EXPLODE_RATIO = 100.0        # gradient norm over its early baseline: two orders of magnitude
EXPLODE_LOSS_RATIO = 1.5     # ... while the loss deteriorates by this much (or turns non-finite)
VANISH_RATIO = 1e-3          # smallest / largest layer gradient norm
VANISH_GLOBAL = 1e-5         # or a global gradient norm this small
STUCK = 0.10                 # 'loss stuck': it moved by less than 10% of its start over the run
LEARNS = 0.30                # a reference run 'learns': its loss fell by at least 30%
DEAD_MIN_STREAK = 8          # a layer gradient exactly 0 for this many consecutive points ...
DEAD_MIN_FRACTION = 0.2      # ... and for at least this fraction of the points that carry it
PLATEAU_FLAT = 0.05          # second half improves by less than 5%
PLATEAU_ABOVE = 0.20         # and ends above the floor a larger model reaches by 20% of the
                             # way from the start down to that floor
OSC_AMPLITUDE = 0.25         # (p90 - p10) / median of the second half
OSC_TREND = 0.5              # |median of last quarter - median of third quarter| / (p90 - p10)
OSC_SWINGS = 3               # moves between the lower and upper quartile
OSC_NOT_CONVERGED = 0.5      # second-half median at least half the starting loss (noise around a
                             # converged loss is not oscillation)
SLOW_RATIO = 3.0             # later epoch/step time over the early median
HEALTHY_DROP = 0.4           # a healthy loss fell by at least 40% of its start
HEALTHY_END = 0.25           # and ends within 25% of its total drop from the minimum


@dataclass
class Check:
    holds: bool
    onset: Optional[int] = None
    why: str = ''


@dataclass
class Series:
    idx: np.ndarray      # point indices (file order)
    v: np.ndarray        # values

    def __len__(self):
        return len(self.v)


def g(x):
    """Compact number for justifications."""
    if x is None:
        return '-'
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f'{x:.2e}'
    return f'{x:.4g}'


# --- series from points -----------------------------------------------------------------------

def series(points, name, level=None) -> Series:
    idx, v = [], []
    for i, p in enumerate(points):
        if level is not None and p['level'] != level:
            continue
        if name in p['values']:
            idx.append(i)
            v.append(p['values'][name])
    return Series(np.array(idx, dtype=int), np.array(v, dtype=float))


def train_series(points) -> Series:
    """Step-level training loss when the file has it (it is the curve people look at), else the
    per-epoch one."""
    s = series(points, 'train_loss', 'step')
    return s if len(s) else series(points, 'train_loss', 'epoch')


def layer_names(points):
    names = []
    for p in points:
        for k in p['values']:
            if k.startswith('grad_norm/') and k not in names:
                names.append(k)
    return names


def time_series(points) -> tuple:
    for name in ('epoch_time', 'step_time'):
        s = series(points, name)
        if len(s) >= 6:
            return name, s
    for name in ('tokens_per_second', 'samples_per_second'):
        s = series(points, name)
        if len(s) >= 6:
            return f'1/{name}', Series(s.idx, 1.0 / np.maximum(s.v, 1e-12))
    return None, None


def trailing_median(v: np.ndarray, w: int) -> np.ndarray:
    """Causal smoothing (each value uses only the points up to it, so onsets stay causal).
    Non-finite values count as +inf, so a run of NaN reads as 'very bad', not as missing."""
    x = np.where(np.isfinite(v), v, np.inf)
    return np.array([np.median(x[max(0, i - w + 1):i + 1]) for i in range(len(x))])


def window(n: int) -> int:
    """Smoothing window: per-step curves are noisy, per-epoch ones much less."""
    return 5 if n >= 40 else 3 if n >= 10 else 1


def start_end(v: np.ndarray):
    """Median of the first and of the last few points (as many as the smoothing window)."""
    k = min(max(3, window(len(v))), len(v))
    return float(np.median(v[:k])), float(np.median(v[-k:]))


# --- the checks ---------------------------------------------------------------------------------

def check_nan(points) -> Check:
    first = None
    for i, p in enumerate(points):
        for name in ('train_loss', 'val_loss'):
            x = p['values'].get(name)
            if x is not None and not math.isfinite(x):
                first = (i, name, x)
                break
        if first:
            break
    if not first:
        return Check(False, why='every logged loss is finite')
    tr = train_series(points)
    finite = tr.v[np.isfinite(tr.v)]
    last = g(finite[-1]) if len(finite) else '-'
    n_bad = sum(1 for p in points for k in ('train_loss', 'val_loss')
                if k in p['values'] and not math.isfinite(p['values'][k]))
    return Check(True, first[0], f'{first[1]} is {first[2]} at point {first[0]} (last finite train_loss {last}); '
                                 f'{n_bad} non-finite loss values logged')


def check_divergence(points) -> Check:
    tr = train_series(points)
    if len(tr) < 3:
        return Check(False, why='too few train_loss points')
    sm = trailing_median(tr.v, window(len(tr)))
    run_min = np.minimum.accumulate(sm)
    # A loss that comes back down (a warm restart, a spike) has not diverged: the end of the run
    # must still be far above the best value, or non-finite.
    if math.isfinite(sm[-1]) and not (run_min[-1] > 0 and sm[-1] >= DIVERGE_RATIO * run_min[-1]):
        return Check(False, why=f'smoothed train_loss ends at {g(sm[-1])}, {sm[-1] / max(run_min[-1], 1e-12):.2f}x '
                                f'its minimum {g(run_min[-1])}')
    for k in range(len(tr)):
        if not math.isfinite(tr.v[k]):
            return Check(True, int(tr.idx[k]), f'smoothed train_loss min {g(run_min[k])}, then non-finite '
                                               f'({tr.v[k]}) at point {tr.idx[k]}')
        if run_min[k] > 0 and sm[k] >= DIVERGE_RATIO * run_min[k]:
            peak = np.max(np.where(np.isfinite(sm), sm, np.nan)[k:]) if np.isfinite(sm[k:]).any() else sm[k]
            return Check(True, int(tr.idx[k]),
                         f'smoothed train_loss min {g(run_min[k])}, {g(sm[k])} at point {tr.idx[k]} '
                         f'({sm[k] / run_min[k]:.1f}x), peak {g(peak)}')
    return Check(False, why=f'smoothed train_loss never reached {DIVERGE_RATIO}x its running minimum '
                            f'(max ratio {np.max(sm / np.maximum(run_min, 1e-12)):.2f})')


def _grad_series(points) -> Series:
    s = series(points, 'grad_norm')
    if len(s):
        return s
    names = layer_names(points)
    idx, v = [], []
    for i, p in enumerate(points):
        vals = [p['values'][n] for n in names if n in p['values']]
        if vals:
            idx.append(i)
            v.append(math.sqrt(sum(x * x for x in vals)) if all(map(math.isfinite, vals)) else float('nan'))
    return Series(np.array(idx, dtype=int), np.array(v, dtype=float))


def check_exploding(points) -> Check:
    gs = _grad_series(points)
    tr = train_series(points)
    if len(gs) < 6 or len(tr) < 3:
        return Check(False, why='no gradient norm logged' if len(gs) < 6 else 'too few points')
    k = max(3, len(gs) // 20)
    base = float(np.median(gs.v[:k]))
    grad_at = None
    for j in range(k, len(gs)):
        x = gs.v[j]
        if not math.isfinite(x) or (base > 0 and x >= EXPLODE_RATIO * base):
            grad_at = j
            break
    if grad_at is None:
        top = np.nanmax(np.where(np.isfinite(gs.v), gs.v, np.nan))
        return Check(False, why=f'grad_norm baseline {g(base)}, max {g(top)} ({top / max(base, 1e-30):.1f}x)')
    sm = trailing_median(tr.v, window(len(tr)))
    run_min = np.minimum.accumulate(sm)
    loss_at = None
    for j in range(len(tr)):
        if not math.isfinite(tr.v[j]) or (run_min[j] > 0 and sm[j] >= EXPLODE_LOSS_RATIO * run_min[j]):
            loss_at = j
            break
    if loss_at is None:
        return Check(False, why=f'grad_norm rose {g(gs.v[grad_at])} vs baseline {g(base)} but the loss did not deteriorate')
    onset = int(max(gs.idx[grad_at], tr.idx[loss_at]))
    finite = gs.v[np.isfinite(gs.v)]
    peak = float(finite.max()) if len(finite) else float('nan')
    return Check(True, onset, f'grad_norm baseline {g(base)} (median of first {k} points), {g(gs.v[grad_at])} at '
                              f'point {gs.idx[grad_at]}, peak {g(peak)} ({peak / max(base, 1e-30):.1e}x); '
                              f'train_loss min {g(run_min[loss_at])} -> {g(sm[loss_at])} at point {tr.idx[loss_at]}')


def _stuck(points):
    tr = train_series(points)
    if len(tr) < 3:
        return False, 'too few points'
    s, e = start_end(tr.v)
    moved = abs(s - e) / max(abs(s), 1e-12)
    return moved < STUCK, f'train_loss {g(s)} -> {g(e)} ({moved * 100:.1f}% change)'


def check_vanishing(points) -> Check:
    names = layer_names(points)
    stuck, loss_why = _stuck(points)
    hits, total, first, detail = 0, 0, None, ''
    for i, p in enumerate(points):
        vals = {n: p['values'][n] for n in names if n in p['values'] and math.isfinite(p['values'][n])}
        glob = p['values'].get('grad_norm')
        if not vals and glob is None:
            continue
        total += 1
        hit = False
        if len(vals) >= 2:
            lo, hi = min(vals, key=vals.get), max(vals, key=vals.get)
            if vals[hi] > 0 and vals[lo] / vals[hi] < VANISH_RATIO:
                hit = True
                if first is None:
                    detail = (f'{lo[10:]} {g(vals[lo])} vs {hi[10:]} {g(vals[hi])} '
                              f'(ratio {vals[lo] / vals[hi]:.1e}) at point {i}')
        if glob is not None and math.isfinite(glob) and glob < VANISH_GLOBAL:
            hit = True
            if first is None:
                detail = f'global grad_norm {g(glob)} at point {i}'
        if hit:
            hits += 1
            first = i if first is None else first
    if total == 0:
        return Check(False, why='no gradient norms logged')
    holds = hits * 2 >= total and stuck
    return Check(holds, first if holds else None,
                 f'{detail or "no vanishing layer"}; condition at {hits}/{total} gradient points; {loss_why}')


def check_dead_relu(points) -> Check:
    names = layer_names(points)
    best = None
    for n in names:
        s = series(points, n)
        streak, start = 0, None
        for j, x in enumerate(s.v):
            if x == 0.0:
                if streak == 0:
                    start = j
                streak += 1
                need = max(DEAD_MIN_STREAK, int(DEAD_MIN_FRACTION * len(s)))
                if streak >= need and (best is None or s.idx[start] < best[1]):
                    best = (n, int(s.idx[start]), streak, len(s))
            else:
                streak = 0
    stuck, loss_why = _stuck(points)
    if best is None:
        return Check(False, why=f'no layer gradient exactly 0 for {DEAD_MIN_STREAK}+ consecutive points; {loss_why}')
    # report the full streak length of the chosen layer
    s = series(points, best[0])
    start = int(np.where(s.idx == best[1])[0][0])
    end = start
    while end + 1 < len(s) and s.v[end + 1] == 0.0:
        end += 1
    return Check(True, best[1], f'{best[0]} exactly 0 for {end - start + 1} consecutive points '
                                f'(points {s.idx[start]}-{s.idx[end]} of {len(points)}); {loss_why}')


def check_lr_too_low(points, twin_points) -> Check:
    if twin_points is None:
        return Check(False, why='no reference run')
    stuck, loss_why = _stuck(points)
    tw = train_series(twin_points)
    tr = train_series(points)
    ts, te = start_end(tw.v)
    learned = (ts - te) / max(abs(ts), 1e-12)
    if not stuck or learned < LEARNS:
        return Check(False, why=f'{loss_why}; reference at 100x lr: {g(ts)} -> {g(te)} ({learned * 100:.0f}% drop)')
    sm = trailing_median(tw.v, window(len(tw)))
    k = next((j for j in range(len(sm)) if sm[j] <= (1 - LEARNS) * ts), None)
    if k is None or k >= len(tr):
        return Check(False, why='reference run learns only after this run ends')
    return Check(True, int(tr.idx[k]), f'{loss_why}; the same configuration at 100x the lr: {g(ts)} -> {g(te)} '
                                       f'({learned * 100:.0f}% drop; 30% below its start by point {tr.idx[k]})')


def _smoothed_train(points, min_points: int):
    """The training loss, its trailing median and its start, or None when it has fewer than
    `min_points` points or a non-finite one (the checks that judge a curve's shape need both)."""
    tr = train_series(points)
    if len(tr) < min_points or not np.isfinite(tr.v).all():
        return None
    return tr, trailing_median(tr.v, window(len(tr))), start_end(tr.v)[0]


def check_plateau(points, twin_points) -> Check:
    if twin_points is None:
        return Check(False, why='no reference run')
    smoothed = _smoothed_train(points, 10)
    if smoothed is None:
        return Check(False, why='too few or non-finite points')
    tr, sm, s0 = smoothed
    n = len(tr)
    tw = train_series(twin_points)
    floor = start_end(tw.v)[1]
    mid = sm[n // 2]
    end = sm[-1]
    bar = floor + PLATEAU_ABOVE * (s0 - floor)
    flat = min(sm[n // 2:]) >= (1 - PLATEAU_FLAT) * mid
    above = end >= bar
    why = (f'train_loss {g(s0)} -> {g(mid)} at mid-run -> {g(end)} at the end '
           f'(second half {100 * (mid - min(sm[n // 2:])) / mid:.1f}% better at best); '
           f'a larger model reaches {g(floor)}')
    if not (flat and above):
        return Check(False, why=why)
    w = max(5, n // 5)
    for i in range(w, n):
        if min(sm[i - w:i + 1]) >= (1 - PLATEAU_FLAT) * sm[i - w] and sm[i] >= bar:
            return Check(True, int(tr.idx[i]), why + f'; flat over {w} points by point {tr.idx[i]}')
    return Check(False, why=why)


def _swings(h):
    lo, hi = np.percentile(h, 25), np.percentile(h, 75)
    state, n = None, 0
    for x in h:
        if x <= lo and state != 'lo':
            n += state is not None
            state = 'lo'
        elif x >= hi and state != 'hi':
            n += state is not None
            state = 'hi'
    return n


def _oscillating(h, start):
    p10, p90, med = np.percentile(h, 10), np.percentile(h, 90), np.median(h)
    q = len(h) // 2
    spread = p90 - p10
    amp = spread / med if med > 0 else 0.0
    trend = abs(np.median(h[q:]) - np.median(h[:q])) / spread if spread > 0 else 1.0
    sw = _swings(h)
    ok = amp >= OSC_AMPLITUDE and trend <= OSC_TREND and sw >= OSC_SWINGS and med >= OSC_NOT_CONVERGED * start
    return ok, f'amplitude (p90-p10)/median {amp:.2f}, trend {trend:.2f} of the spread, {sw} swings, median {g(med)}'


def check_oscillation(points) -> Check:
    smoothed = _smoothed_train(points, 16)
    if smoothed is None:
        return Check(False, why='too few or non-finite points')
    tr, sm, s0 = smoothed
    n = len(tr)
    ok, why = _oscillating(sm[n // 2:], s0)
    if not ok:
        return Check(False, why='second half: ' + why)
    w = max(8, n // 4)
    for i in range(w, n):
        if _oscillating(sm[i - w + 1:i + 1], s0)[0]:
            return Check(True, int(tr.idx[i]), f'second half of train_loss: {why}; first seen over the {w} points '
                                               f'ending at point {tr.idx[i]}')
    return Check(True, int(tr.idx[n - 1]), 'second half: ' + why)


def check_slow(points) -> Check:
    name, ts = time_series(points)
    if name is None:
        return Check(False, why='no timings logged')
    n = len(ts)
    k = max(3, n // 5)
    base = float(np.median(ts.v[1:1 + k]))
    late = float(np.median(ts.v[-max(3, n // 3):]))
    if base <= 0:
        return Check(False, why=f'{name} too coarse to compare (early median 0)')
    if late < SLOW_RATIO * base:
        return Check(False, why=f'{name} early median {g(base)}, late median {g(late)} ({late / base:.1f}x)')
    for i in range(1 + k, n):
        if ts.v[i] >= SLOW_RATIO * base and np.median(ts.v[i:i + 3]) >= SLOW_RATIO * base:
            return Check(True, int(ts.idx[i]), f'{name} early median {g(base)}, {g(ts.v[i])} at point {ts.idx[i]}, '
                                               f'late median {g(late)} ({late / base:.1f}x)')
    return Check(False, why='no sustained slowdown')


def _val_vs_train(points):
    """For each validation point: its value, its running minimum, and the smoothed train loss
    at that time (the last train point at or before it)."""
    val = series(points, 'val_loss')
    tr = train_series(points)
    if len(val) < 4 or len(tr) < 2:
        return None
    sm = trailing_median(tr.v, window(len(tr)))
    at = [sm[max(0, np.searchsorted(tr.idx, i, side='right') - 1)] for i in val.idx]
    return val, np.array(at)


def check_overfitting(points, ratio=OVERFIT_RATIO) -> Check:
    vt = _val_vs_train(points)
    if vt is None:
        return Check(False, why='no validation loss')
    val, train_at = vt
    if not np.isfinite(val.v).all() or val.v.min() <= 0:
        return Check(False, why='validation loss not finite and positive')
    onset = None
    for k in range(1, len(val)):
        m = int(np.argmin(val.v[:k + 1]))
        if val.v[k] >= ratio * val.v[m] and train_at[k] < train_at[m]:
            onset = int(val.idx[k])
            break
    m = int(np.argmin(val.v))
    why = (f'val_loss min {g(val.v[m])} at point {val.idx[m]}, final {g(val.v[-1])} ({val.v[-1] / val.v[m]:.2f}x); '
           f'train_loss {g(train_at[m])} at the val minimum -> {g(train_at[-1])}')
    holds = val.v[-1] >= ratio * val.v[m] and train_at[-1] < train_at[m] and onset is not None
    return Check(holds, onset if holds else None, why)


def check_healthy(points) -> tuple:
    """Returns (label or None, why): 'healthy', 'mild', or None when the run is not healthy."""
    if check_nan(points).holds:
        return None, 'non-finite loss'
    tr = train_series(points)
    if len(tr) < 3:
        return None, 'too few points'
    sm = trailing_median(tr.v, window(len(tr)))
    s0, e = start_end(tr.v)
    lo = float(sm.min())
    drop = (s0 - e) / abs(s0)
    if drop < HEALTHY_DROP:
        return None, f'train_loss fell only {drop * 100:.0f}% ({g(s0)} -> {g(e)})'
    if (e - lo) > HEALTHY_END * (s0 - lo):
        return None, f'train_loss ends at {g(e)}, well above its minimum {g(lo)}'
    why = f'train_loss {g(s0)} -> {g(e)} (min {g(lo)})'
    label = 'healthy'
    val = series(points, 'val_loss')
    if len(val) >= 3:
        m = int(np.argmin(val.v))
        vmin, vend = val.v[m], val.v[-1]
        if vmin > 0:
            r = vend / vmin
        else:   # a loss that can go negative (Gaussian NLL): compare rises on the scale of its range
            span = val.v[0] - vmin
            r = 1 + (vend - vmin) / span if span > 0 else 1.0
        why += f'; val_loss min {g(vmin)} at point {val.idx[m]}, final {g(vend)} ({r:.2f}x)'
        if r > MILD_VAL_RATIO:
            return None, why
        if r > HEALTHY_VAL_RATIO:
            label = 'mild'
    name, ts = time_series(points)
    if name is not None:
        slow = check_slow(points)
        if slow.holds:
            return None, why + '; ' + slow.why
    return label, why


# --- deciding -------------------------------------------------------------------------------------

RELABEL_ORDER = ['nan_loss', 'exploding_gradients', 'divergence', 'dead_relu', 'vanishing_gradients',
                 'overfitting', 'slow_throughput', 'oscillation', 'plateau', 'lr_too_low']


def run_check(label, points, twin_points) -> Check:
    return {
        'nan_loss': lambda: check_nan(points),
        'divergence': lambda: check_divergence(points),
        'exploding_gradients': lambda: check_exploding(points),
        'vanishing_gradients': lambda: check_vanishing(points),
        'dead_relu': lambda: check_dead_relu(points),
        'lr_too_low': lambda: check_lr_too_low(points, twin_points),
        'plateau': lambda: check_plateau(points, twin_points),
        'oscillation': lambda: check_oscillation(points),
        'slow_throughput': lambda: check_slow(points),
        'overfitting': lambda: check_overfitting(points),
    }[label]()


def decide(configured: str, points, twin_points=None) -> dict:
    """The label of a run: its configured one when the numbers show it, else another problem the
    numbers clearly show (relabel), else None (drop). Returns label, onset, justification and
    the decision ('kept', 'relabelled' or 'dropped')."""
    if configured == 'healthy':
        label, why = check_healthy(points)
        if label:
            return {'label': label, 'onset': None, 'why': why, 'decision': 'kept'}
        failed = f'configured healthy but {why}'
    else:
        c = run_check(configured, points, twin_points)
        if c.holds:
            return {'label': configured, 'onset': c.onset, 'why': c.why, 'decision': 'kept'}
        failed = f'configured {configured} but {c.why}'
    for other in RELABEL_ORDER:
        if other == configured or (other in ('plateau', 'lr_too_low') and twin_points is None):
            continue
        c = run_check(other, points, twin_points)
        if c.holds:
            return {'label': other, 'onset': c.onset, 'why': f'{failed}; relabelled {other}: {c.why}',
                    'decision': 'relabelled'}
    # A pathology configuration that does not show its problem is not relabelled healthy: a loss
    # that 'fell' from an explosion in its first steps back to chance level would pass the
    # healthy check without being a healthy run. Such runs are dropped.
    return {'label': None, 'onset': None, 'why': failed, 'decision': 'dropped'}


# What counts as a correct detection for each label (expected.tsv's 'accepted'). The unstable
# kinds accept each other as the shared generated runs do: an explosion's loss swings before it
# blows up, and an oscillation that grows ends in exploding gradients or a NaN.
ACCEPTED = {
    'overfitting': ['overfitting'],
    'divergence': ['divergence', 'nan_loss', 'exploding_gradients', 'oscillation'],
    'nan_loss': ['nan_loss'],
    'exploding_gradients': ['exploding_gradients', 'divergence', 'nan_loss', 'oscillation'],
    'vanishing_gradients': ['vanishing_gradients', 'lr_too_low', 'plateau', 'dead_relu'],
    'dead_relu': ['dead_relu', 'vanishing_gradients', 'lr_too_low', 'plateau'],
    'lr_too_low': ['lr_too_low', 'plateau'],
    'plateau': ['plateau', 'lr_too_low', 'overfitting'],
    'oscillation': ['oscillation', 'divergence', 'exploding_gradients', 'nan_loss'],
    'slow_throughput': ['slow_throughput'],
    'healthy': [], 'mild': [],
}
