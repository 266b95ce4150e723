import { Command, Option } from 'commander';
import { AnalystError } from '../domain/errors.ts';
import { SEVERITY_RANK, type Finding, type Severity } from '../domain/findings.ts';
import { describeRead, noRuleInputError, readsRuleInput, type ReadReport } from '../domain/read-report.ts';
import { stringifyJson } from '../domain/values.ts';
import { format } from './client.ts';

interface FileReport {
  file: string;
  run: string;
  /** What was read from the file: points, skipped lines, names understood or not. */
  read: ReadReport;
  findings: Array<Pick<Finding, 'kind' | 'severity' | 'step' | 'epoch' | 'message' | 'evidence' | 'actions'>>;
  summary: unknown;
}

/**
 * Diagnoses one file offline: import, replay through the rules, report what they found. A file
 * with no metric a rule reads is an error (no_metrics), never "no problems found".
 */
export async function diagnoseFile(file: string, opts: { format?: string } = {}): Promise<FileReport> {
  // Loaded on use, so that `analyst --help` and the server commands start without the rules and importers.
  const [{ diagnoseEvents }, { streamFile }] = await Promise.all([import('../diagnose/engine.ts'), import('../ingest/files/stream-file.ts')]);
  const imported = await streamFile(file, { format: opts.format });
  const { findings, summary } = diagnoseEvents(imported.name, imported.events);
  const read = imported.read();
  if (!readsRuleInput(read)) throw noRuleInputError(read, file);
  return {
    file,
    run: imported.name,
    read,
    findings: findings.map(({ kind, severity, step, epoch, message, evidence, actions }) => ({ kind, severity, step, epoch, message, evidence, actions })),
    summary,
  };
}

function printHuman(r: FileReport, minSeverity: Severity): void {
  const shown = r.findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[minSeverity]);
  const lines = [`${r.file}  (run ${r.run})`, ...describeRead(r.read).map((l) => `  ${l}`)];
  if (!shown.length) lines.push('  no problems found');
  for (const f of shown) {
    const where = f.epoch !== null ? `epoch ${format(f.epoch)}` : f.step !== null ? `step ${format(f.step)}` : '';
    lines.push(`  [${f.severity}] ${f.kind}${where ? ` at ${where}` : ''}: ${f.message}`);
    for (const a of f.actions) lines.push(`      - ${a}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

export function diagnoseCommand(): Command {
  return new Command('diagnose')
    .description('diagnose training logs offline, with no server (JSONL, CSV, trainer_state.json, metrics.json, training_info.json, text logs, tfevents)')
    .argument('<files...>', 'files (or TensorBoard run directories) to read')
    .option('--json', 'print [{file, run, read, findings, summary}] as JSON')
    .option('--format <format>', 'skip detection and read every file as this format')
    .addOption(new Option('--min-severity <severity>', 'hide findings below this severity').choices(['info', 'warning', 'critical']).default('info'))
    .addOption(new Option('--fail-on <severity>', 'exit with 1 when a finding at or above this severity is raised').choices(['info', 'warning', 'critical']))
    .action(async (files: string[], opts: { json?: boolean; format?: string; minSeverity: Severity; failOn?: Severity }) => {
      const reports: FileReport[] = [];
      let unreadable = 0;
      for (const file of files) {
        try {
          reports.push(await diagnoseFile(file, { format: opts.format }));
        } catch (err) {
          unreadable++;
          const message = (err as Error).message;
          process.stderr.write(`analyst: ${message.startsWith(file) ? message : `${file}: ${message}`}\n`);
          if (err instanceof AnalystError) for (const i of err.issues ?? []) process.stderr.write(`  ${i.path}: ${i.message}\n`);
        }
      }
      if (opts.json) process.stdout.write(`${stringifyJson(reports)}\n`);
      else for (const r of reports) printHuman(r, opts.minSeverity);
      const failing = opts.failOn !== undefined && reports.some((r) => r.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[opts.failOn!]));
      process.exitCode = unreadable ? 2 : failing ? 1 : 0;
    });
}
