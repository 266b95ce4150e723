#!/usr/bin/env python3
"""Generates the labelled corpus of training logs the diagnoser is evaluated on.

Every run trains a real PyTorch model on CPU (data sets that ship with scikit-learn, synthetic
tasks, licence texts for character models), writes its metrics in one logging style, and is
labelled only if its logged numbers meet the label's criteria (labels.py).

    /usr/bin/python3 eval/corpus/generate.py --out test/fixtures/corpus [--only REGEX] [--jobs 2]

A fresh draw of the same configurations (new seeds, into another folder) measures whether
figures hold beyond the committed runs:

    /usr/bin/python3 eval/corpus/generate.py --out /tmp/corpus-fresh --seeds 11,12

Needs python3-torch and python3-sklearn (Debian packages); no network.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import re
import shutil
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # no __pycache__ beside the scripts in the repository

import configs  # noqa: E402
import labels  # noqa: E402
import report  # noqa: E402

INDEX_FIELDS = ['name', 'source', 'family', 'optimizer', 'schedule', 'precision', 'style', 'level',
                'label', 'onset', 'file', 'justification']

# Short label tokens used in run names.
SHORT = {'healthy': 'healthy', 'mild': 'mild', 'overfitting': 'overfit', 'divergence': 'diverge',
         'nan_loss': 'nan', 'exploding_gradients': 'explode', 'vanishing_gradients': 'vanish',
         'dead_relu': 'deadrelu', 'lr_too_low': 'lrlow', 'plateau': 'plateau', 'oscillation': 'osc',
         'slow_throughput': 'slow'}


def source_id(cfg) -> str:
    return f'{cfg.family}-{SHORT[cfg.pathology]}-{cfg.tail}'


def run_name(cfg, label: str, seed: int) -> str:
    """Named by the label the run ends up with, so a relabelled run's name does not claim the
    cause it was configured for."""
    return f'{cfg.family}-{SHORT[label]}-{cfg.tail}-s{seed}'


def _init_worker():
    import torch
    warnings.filterwarnings('ignore')
    torch.set_num_threads(1)            # two shared cores: one thread per process
    # Saturated units (high learning rates, sigmoid stacks) produce subnormal floats, which the
    # CPU handles tens of times slower; flushing them to zero is what GPUs do by default.
    torch.set_flush_denormal(True)


def run_one(job):
    """Trains one (configuration, seed) and its reference twin if the label check needs one,
    writes nothing, returns everything the parent needs."""
    cfg, seed = job
    import styles
    from train import train
    t0 = time.time()
    twin_points = None
    if cfg.twin:
        twin_cfg = cfg.with_overrides(cfg.twin)
        twin = train(twin_cfg, seed)
        twin_points = styles.write(twin['records'], twin_cfg, twin['info'])[2]
    for attempt in range(3):
        result = train(cfg, seed)
        file_name, text, points = styles.write(result['records'], cfg, result['info'])
        decision = labels.decide(cfg.pathology, points, twin_points)
        # The machine is shared: a run that was not set up to slow down but did (another process
        # took the core) is run again rather than labelled slow_throughput.
        if decision['label'] != 'slow_throughput' or cfg.pathology == 'slow_throughput':
            break
    return {'cfg': cfg, 'seed': seed, 'file': file_name, 'text': text, 'decision': decision,
            'seconds': time.time() - t0, 'n_points': len(points)}


def read_index(path):
    if not os.path.exists(path):
        return []
    with open(path, newline='') as f:
        return list(csv.DictReader(f, delimiter='\t'))


def write_tsv(path, fields, rows):
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=fields, delimiter='\t', lineterminator='\n')
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, '') for k in fields})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='test/fixtures/corpus')
    ap.add_argument('--only', help='regenerate only configurations whose id (or run name) matches this regex')
    ap.add_argument('--jobs', type=int, default=2, choices=[1, 2])
    ap.add_argument('--list', action='store_true', help='list the configurations and exit')
    ap.add_argument('--seeds', help='train these seeds (comma-separated) for every configuration instead of its own')
    args = ap.parse_args(argv)

    catalogue = configs.catalogue()
    if args.seeds:
        seeds = tuple(int(x) for x in args.seeds.split(','))
        catalogue = [c.with_overrides({'seeds': seeds}) for c in catalogue]
    # Run names carry family and tail (the label part may change), so these must be unique too.
    tails = [f'{c.family}-{c.tail}' for c in catalogue]
    if len(set(tails)) != len(tails):
        sys.exit(f'configurations share family and tail: {sorted({t for t in tails if tails.count(t) > 1})}')
    ids = [source_id(c) for c in catalogue]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        sys.exit(f'duplicate configuration ids: {sorted(dupes)}')
    if args.list:
        for c in catalogue:
            print(f'{source_id(c):45s} {c.style:14s} {c.level:6s} seeds={list(c.seeds)}')
        return
    pattern = re.compile(args.only) if args.only else None
    jobs = [(c, s) for c in catalogue for s in c.seeds
            if pattern is None or pattern.search(source_id(c)) or pattern.search(f'{source_id(c)}-s{s}')]
    if not jobs:
        sys.exit('no configuration matches')
    os.makedirs(args.out, exist_ok=True)
    index_path = os.path.join(args.out, 'INDEX.tsv')
    regenerated = {(source_id(c), s) for c, s in jobs}

    # Old rows of the runs being regenerated go (their folder too: the label, hence the name,
    # may change); the others stay.
    kept_rows = []
    current = {(source_id(c), s) for c in catalogue for s in c.seeds}
    for row in read_index(index_path):
        seed = int(row['name'].rsplit('-s', 1)[1])
        # regenerated now, or no longer in the catalogue: the folder goes
        if (row['source'], seed) in regenerated or (row['source'], seed) not in current:
            shutil.rmtree(os.path.join(args.out, row['name']), ignore_errors=True)
        else:
            kept_rows.append(row)
    old_dropped = [d for d in report.read_dropped(args.out)
                   if (d['source'], int(d['seed'])) not in regenerated and (d['source'], int(d['seed'])) in current]

    # Costly configurations first, so that two workers finish together.
    jobs.sort(key=lambda j: -configs.cost(j[0]))
    started = time.time()
    new_rows, dropped = [], []
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(args.jobs, initializer=_init_worker) as pool:
        for n, res in enumerate(pool.imap_unordered(run_one, jobs), 1):
            cfg, seed, d = res['cfg'], res['seed'], res['decision']
            src = source_id(cfg)
            if d['label'] is None:
                dropped.append({'source': src, 'seed': seed, 'configured': cfg.pathology, 'why': d['why']})
                status = 'DROPPED'
            else:
                name = run_name(cfg, d['label'], seed)
                folder = os.path.join(args.out, name)
                shutil.rmtree(folder, ignore_errors=True)
                os.makedirs(folder)
                with open(os.path.join(folder, res['file']), 'w') as f:
                    f.write(res['text'])
                new_rows.append({
                    'name': name, 'source': src, 'family': cfg.family, 'optimizer': cfg.opt_label,
                    'schedule': cfg.schedule, 'precision': cfg.precision, 'style': cfg.style,
                    'level': cfg.level, 'label': d['label'],
                    'onset': '' if d['onset'] is None else d['onset'],
                    'file': f'{name}/{res["file"]}', 'justification': d['why']})
                status = d['label'] if d['decision'] == 'kept' else f"RELABELLED {d['label']}"
            print(f'[{n}/{len(jobs)}] {src}-s{seed}: {status} ({res["seconds"]:.1f}s, {res["n_points"]} points)',
                  flush=True)
    wall = time.time() - started

    rows = sorted(kept_rows + new_rows, key=lambda r: r['name'])
    write_tsv(index_path, INDEX_FIELDS, rows)
    write_tsv(os.path.join(args.out, 'expected.tsv'), ['name', 'label', 'accepted'],
              [{'name': r['name'], 'label': r['label'], 'accepted': ','.join(labels.ACCEPTED[r['label']])}
               for r in rows])
    all_dropped = sorted(old_dropped + dropped, key=lambda d: (d['source'], int(d['seed'])))
    report.write_readme(args.out, rows, all_dropped, wall if pattern is None else None, len(jobs))
    print(f'{len(new_rows)} runs written, {len(dropped)} dropped, {wall / 60:.1f} min')


if __name__ == '__main__':
    main()
