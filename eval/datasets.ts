// The labelled data sets the diagnoser is measured on, each run with its source for the tune / check split.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `../shared/datasets` beside the repository, here and in CI's clone. */
export const SHARED = path.resolve(here, '../../shared/datasets');
/** The corpus this repository generates with real PyTorch training (eval/corpus/generate.py). */
export const CORPUS = path.resolve(here, '../test/fixtures/corpus');

export interface LabelledRun {
  set: string;
  name: string;
  /** healthy, mild, other (not scored), or what the run shows (a finding kind or a real-log label). */
  label: string;
  /** Finding kinds that count as a correct reading (empty for healthy runs). */
  accepted: string[];
  /**
   * Where the run came from: a repository (owner/name) or a generator configuration. Runs of one
   * source share code and habits, so they fall in the same half of the split.
   */
  source: string;
  file: string;
}

export interface DataSet {
  name: string;
  dir: string;
  runs: LabelledRun[];
}

function tsv(file: string): Array<Record<string, string>> {
  const [head, ...lines] = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const cols = head.split('\t');
  return lines.map((l) => {
    const cells = l.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
  });
}

function acceptedOf(cell: string | undefined): string[] {
  return cell && !cell.startsWith('(') ? cell.split(',').filter(Boolean) : [];
}

/** A run folder holds one file (a TensorBoard directory counts as the folder itself). */
function fileIn(dir: string): string {
  const files = readdirSync(dir);
  if (files.length === 1 && !statSync(path.join(dir, files[0])).isDirectory()) return path.join(dir, files[0]);
  return dir;
}

/** Repository without the commit: `owner/name@abc123` and `owner/name` are one source. */
const repoOf = (cell: string): string => cell.replace(/@.*$/, '').trim().toLowerCase();

/** Real logs: one folder per run, sources from INDEX.tsv. */
function realLogs(set: string, dir: string): DataSet {
  const sources = new Map(tsv(path.join(dir, 'INDEX.tsv')).map((r) => [r.name, repoOf(r.source_repo)]));
  const runs = tsv(path.join(dir, 'expected.tsv')).map((r) => ({
    set,
    name: r.name,
    label: r.label,
    accepted: acceptedOf(r.accepted),
    source: sources.get(r.name) ?? r.name,
    file: fileIn(path.join(dir, r.name)),
  }));
  return { name: set, dir, runs };
}

/** The shared generated runs: `<dataset>-s<seed>-<config>.jsonl`; the seeds of one configuration are one source. */
function generatedRuns(dir: string): DataSet {
  const runs = tsv(path.join(dir, 'expected.tsv')).map((r) => ({
    set: 'generated-runs',
    name: r.name,
    label: r.expect,
    accepted: acceptedOf(r.accepted),
    source: r.name.replace(/-s\d+-/, '-'),
    file: path.join(dir, `${r.name}.jsonl`),
  }));
  return { name: 'generated-runs', dir, runs };
}

/** This repository's PyTorch corpus: one folder per run, configuration ids in INDEX.tsv. */
function corpus(dir: string): DataSet {
  const index = new Map(tsv(path.join(dir, 'INDEX.tsv')).map((r) => [r.name, r]));
  const runs = tsv(path.join(dir, 'expected.tsv')).map((r) => ({
    set: 'corpus',
    name: r.name,
    label: r.label,
    accepted: acceptedOf(r.accepted),
    source: index.get(r.name)?.source || r.name,
    file: fileIn(path.join(dir, r.name)),
  }));
  return { name: 'corpus', dir, runs };
}

/** Every data set present on this machine; `corpusDir` reads a corpus generated elsewhere. */
export function dataSets(corpusDir = CORPUS): DataSet[] {
  const out: DataSet[] = [];
  if (existsSync(path.join(SHARED, 'generated-runs'))) out.push(generatedRuns(path.join(SHARED, 'generated-runs')));
  for (const set of ['real-logs', 'real-logs-b']) {
    if (existsSync(path.join(SHARED, set, 'expected.tsv'))) out.push(realLogs(set, path.join(SHARED, set)));
  }
  if (existsSync(path.join(corpusDir, 'expected.tsv'))) out.push(corpus(corpusDir));
  return out;
}
