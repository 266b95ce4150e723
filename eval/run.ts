// `npm run eval`: the diagnoser's figures on every labelled data set, per set and per half of the
// tune / check split, and the misses of the tune half only (the check half is measured, never studied).
//   --split-out FILE   write the split (set, run, source, half) as TSV
//   --json             the figures as JSON
//   --set NAME         only this data set
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dataSets } from './datasets.ts';
import { describeMiss, figures, isMiss, scoreRun, type Figures, type Outcome } from './score.ts';
import { halfOf } from './split.ts';

const { values: opts } = parseArgs({
  options: { 'split-out': { type: 'string' }, json: { type: 'boolean' }, set: { type: 'string' } },
});

const pct = (n: number, d: number): string => (d ? `${n}/${d} = ${((100 * n) / d).toFixed(0)}%` : '-');

function row(label: string, f: Figures): string {
  return [
    label.padEnd(22),
    `recall ${pct(f.recalled, f.pathological)}`.padEnd(22),
    `exact ${pct(f.exact, f.pathological)}`.padEnd(21),
    `false alarms ${pct(f.falseAlarms, f.healthy)}`.padEnd(28),
    f.mild ? `mild ok ${f.mildOk}/${f.mild}  ` : '',
    `late ${f.late}/${f.timed}`,
    f.lateNan ? `  NaN late ${f.lateNan}` : '',
  ].join('');
}

const sets = dataSets().filter((s) => !opts.set || s.name === opts.set);
if (opts['split-out']) {
  const lines = ['set\trun\tsource\thalf'];
  for (const s of sets) for (const r of s.runs) lines.push(`${s.name}\t${r.name}\t${r.source}\t${halfOf(r.source)}`);
  writeFileSync(opts['split-out'], lines.join('\n') + '\n');
}

const all: Outcome[] = [];
const report: Record<string, Record<string, Figures>> = {};
for (const s of sets) {
  const outcomes: Outcome[] = [];
  for (const run of s.runs) outcomes.push(await scoreRun(run));
  all.push(...outcomes);
  report[s.name] = {
    tune: figures(outcomes.filter((o) => o.half === 'tune')),
    check: figures(outcomes.filter((o) => o.half === 'check')),
    all: figures(outcomes),
  };
}
report.total = {
  tune: figures(all.filter((o) => o.half === 'tune')),
  check: figures(all.filter((o) => o.half === 'check')),
  all: figures(all),
};

if (opts.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  for (const [set, halves] of Object.entries(report)) {
    console.log(`\n${set}`);
    for (const [half, f] of Object.entries(halves)) console.log('  ' + row(`${half} (${f.runs} runs)`, f));
  }
  const misses = all.filter((o) => o.half === 'tune' && isMiss(o));
  console.log(`\nmisses on the tune half (${misses.length}):`);
  for (const o of misses) console.log('  ' + describeMiss(o));
  const checkMisses = all.filter((o) => o.half === 'check' && isMiss(o)).length;
  console.log(`misses on the check half: ${checkMisses} (not listed: the check half is not tuned on)`);
}
