// What an importer made of a file or of posted log lines: what it read, what it skipped, which names it understood.
import { z } from 'zod';
import { isLayerGradNorm } from './aliases.ts';
import { AnalystError, type IssueDetail } from './errors.ts';

/** A line, row or record that held data but gave no metric: unreadable, or in no format the readers know. */
export const SkippedRecord = z.object({
  /** not_read (numbers in a line no format reads), bad_json, bad_row, bad_event, bad_record, corrupt_record, ... */
  code: z.string(),
  message: z.string(),
  /** 1-based line of a text format, or entry of a document. */
  line: z.number().int().positive().optional(),
  /** Byte offset of a binary record. */
  offset: z.number().int().nonnegative().optional(),
  file: z.string().optional(),
  /** The start of the line as it was read. */
  text: z.string().optional(),
});
export type SkippedRecord = z.infer<typeof SkippedRecord>;

/** Examples kept of skipped records, and of the names listed: enough to see the pattern, small enough to store per run. */
export const REPORT_LIMITS = { examples: 5, textChars: 200, unmapped: 20, namesPerCanonical: 5 } as const;

export const ReadReport = z.object({
  /** The file read, when there is one. */
  file: z.string().optional(),
  /** Detected (or given) format, `logs` for posted log lines. */
  format: z.string(),
  /** Lines, rows or records read. */
  lines: z.number().int().nonnegative(),
  /** Metric values read. */
  points: z.number().int().nonnegative(),
  /** Lines, rows or records that held numbers but gave nothing. */
  skipped: z.number().int().nonnegative(),
  examples: z.array(SkippedRecord).max(REPORT_LIMITS.examples),
  /** Canonical names read, each with the names as sent that map to it. */
  mapped: z.record(z.string(), z.array(z.string())),
  /** Names kept as sent that map to no canonical name, with their points: the most frequent ones. */
  unmapped: z.record(z.string(), z.number().int().nonnegative()),
  /** How many distinct unmapped names there were, listed or not. */
  unmapped_names: z.number().int().nonnegative(),
});
export type ReadReport = z.infer<typeof ReadReport>;

/** The doors whose latest report a run keeps: a file imported into it, log lines posted to it. */
export const ReadSource = z.enum(['import', 'logs']);
export type ReadSource = z.infer<typeof ReadSource>;

/** Canonical names some diagnosis rule reads: a file with none of them cannot be diagnosed. */
const RULE_INPUTS = new Set(['train_loss', 'val_loss', 'train_acc', 'val_acc', 'grad_norm', 'step_time', 'epoch_time']);

export function readsRuleInput(report: ReadReport): boolean {
  return Object.keys(report.mapped).some((c) => RULE_INPUTS.has(c) || isLayerGradNorm(c));
}

function where(r: SkippedRecord): string {
  return r.line !== undefined ? `line ${r.line}` : r.offset !== undefined ? `offset ${r.offset}` : 'record';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The report for a person, one sentence per line: what was read, what was skipped, which names were not understood. */
export function describeRead(r: ReadReport): string[] {
  const mapped = Object.entries(r.mapped).map(([c, names]) => (names.length === 1 && names[0] === c ? c : `${c} ← ${names.join(', ')}`));
  const out = [`read ${plural(r.points, 'point')} from ${plural(r.lines, 'line')} (${r.format})${mapped.length ? `: ${mapped.join('; ')}` : ''}`];
  if (r.skipped) {
    out.push(`skipped ${plural(r.skipped, 'line')} with numbers${r.examples.length ? ', e.g.' : ''}`);
    for (const e of r.examples) out.push(`    ${where(e)}: ${e.text ?? e.message}${e.text && e.code !== 'not_read' ? ` (${e.message})` : ''}`);
  }
  const unmapped = Object.entries(r.unmapped).map(([n, c]) => `${n} (${c})`);
  if (unmapped.length) {
    const more = r.unmapped_names - unmapped.length;
    out.push(`names kept but not understood: ${unmapped.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  return out;
}

/**
 * The error for input that holds no metric a rule reads: what was read and what was missing in
 * its message; the names read and the lines skipped as issues, each with its path.
 */
export function noRuleInputError(r: ReadReport, what: string): AnalystError {
  const found = Object.keys(r.mapped);
  const missing = `no loss, accuracy, gradient norm or step time${found.length ? ` (only ${found.join(', ')})` : ''}`;
  const message = `${what}: nothing to diagnose: ${missing} among ${plural(r.points, 'value')} read from ${plural(r.lines, 'line')} (${r.format})`;
  const issues: IssueDetail[] = [];
  const unmapped = Object.entries(r.unmapped).map(([n, c]) => `${n} (${c})`);
  if (unmapped.length) issues.push({ path: 'names', message: `not understood: ${unmapped.join(', ')}` });
  for (const e of r.examples) issues.push({ path: where(e), message: `skipped, ${e.message}${e.text ? `: ${e.text}` : ''}` });
  if (r.skipped > r.examples.length) issues.push({ path: 'lines', message: `${plural(r.skipped, 'line')} with numbers skipped in all` });
  return new AnalystError('no_metrics', message, issues);
}

/**
 * Two reports of one door as one (log lines posted in many requests): counts add up, the most
 * recent examples are kept, and the unmapped names stay the most frequent ones. Names cut from
 * either list before cannot be counted again, so `unmapped_names` is a lower bound.
 */
export function mergeReports(before: ReadReport, after: ReadReport): ReadReport {
  const mapped: Record<string, string[]> = structuredClone(before.mapped);
  for (const [c, names] of Object.entries(after.mapped)) {
    const list = (mapped[c] ??= []);
    for (const n of names) if (!list.includes(n) && list.length < REPORT_LIMITS.namesPerCanonical) list.push(n);
  }
  const counts = new Map(Object.entries(before.unmapped));
  for (const [n, c] of Object.entries(after.unmapped)) counts.set(n, (counts.get(n) ?? 0) + c);
  const unmapped = [...counts].sort((a, b) => b[1] - a[1]);
  return {
    ...after,
    lines: before.lines + after.lines,
    points: before.points + after.points,
    skipped: before.skipped + after.skipped,
    examples: [...before.examples, ...after.examples].slice(-REPORT_LIMITS.examples),
    mapped,
    unmapped: Object.fromEntries(unmapped.slice(0, REPORT_LIMITS.unmapped)),
    unmapped_names: Math.max(before.unmapped_names, after.unmapped_names, unmapped.length),
  };
}
