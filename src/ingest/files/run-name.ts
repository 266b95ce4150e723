// Names a run after its file, or after its directory when the file name says nothing about the run.
import path from 'node:path';

/** File names every run of a framework shares: the directory is what tells runs apart. */
const GENERIC = new Set([
  'trainer_state', 'metrics', 'results', 'training', 'train', 'log', 'logs', 'training_info', 'history', 'progress',
]);

export function runNameFor(filePath: string): string {
  const base = path.basename(filePath);
  if (base.startsWith('events.out.tfevents')) return path.basename(path.dirname(path.resolve(filePath)));
  const stem = base.replace(/\.[^.]+$/, '') || base;
  if (GENERIC.has(stem.toLowerCase())) return path.basename(path.dirname(path.resolve(filePath))) || stem;
  return stem;
}
