// What a reader has read so far, for its read report: lines, metric values by name, and what it skipped.
import { canonicalOf, isLayerGradNorm } from '../../domain/aliases.ts';
import type { EventInput } from '../../domain/events.ts';
import { REPORT_LIMITS, type ReadReport, type SkippedRecord } from '../../domain/read-report.ts';

/** Distinct names counted one by one; a file that invents names forever has the rest counted together. */
const MAX_NAMES = 4096;
const OTHER_NAMES = '(other names)';

/**
 * Bounded whatever the input: a count and a few examples of skipped records, one counter per
 * name. Counting a value is one map update, on the hot path of every importer.
 */
export class ReadTally {
  lines = 0;
  skipped = 0;
  readonly examples: SkippedRecord[] = [];
  private points = 0;
  private readonly names = new Map<string, { n: number }>();

  /** A record that held data but gave nothing; its text is cut to a readable length. */
  skip(record: SkippedRecord): void {
    this.skipped++;
    if (this.examples.length >= REPORT_LIMITS.examples) return;
    if (record.text !== undefined && record.text.length > REPORT_LIMITS.textChars) record.text = `${record.text.slice(0, REPORT_LIMITS.textChars)}…`;
    this.examples.push(record);
  }

  /** The metric values of events a reader produced. */
  count(events: readonly EventInput[], from = 0): void {
    for (let i = from; i < events.length; i++) {
      const e = events[i];
      if (e.type === 'metrics') this.countValues(e.values);
    }
  }

  countValues(values: Record<string, unknown>): void {
    for (const name in values) {
      this.points++;
      this.counter(name).n++;
    }
  }

  /**
   * The counter a name's values are counted in (taken in the order names are first counted), for
   * a reader that keeps it per name and counts with `counted`: no map lookup per value.
   */
  counter(name: string): { n: number } {
    const names = this.names;
    let counter = names.get(name);
    if (counter === undefined) {
      counter = names.size < MAX_NAMES ? { n: 0 } : (names.get(OTHER_NAMES) ?? { n: 0 });
      names.set(names.size < MAX_NAMES ? name : OTHER_NAMES, counter);
    }
    return counter;
  }

  /** Values counted in their names' counters by the reader (see `counter`). */
  counted(points: number): void {
    this.points += points;
  }

  /**
   * Another tally's lines and skipped records, not its values: for a reader whose events are
   * changed (renamed) before they are counted here.
   */
  mergeRead(other: ReadTally): void {
    this.lines += other.lines;
    this.skipped += other.skipped - other.examples.length;
    for (const e of other.examples) this.skip(e);
  }

  /** Another tally's counts (the files of one TensorBoard directory). */
  merge(other: ReadTally): void {
    this.mergeRead(other);
    this.points += other.points;
    for (const [name, c] of other.names) {
      const mine = this.names.get(name);
      if (mine) mine.n += c.n;
      else this.names.set(name, { n: c.n });
    }
  }

  report(format: string, file?: string): ReadReport {
    const mapped: Record<string, string[]> = {};
    const unmapped: Array<[string, number]> = [];
    for (const [name, { n }] of this.names) {
      const alias = name === OTHER_NAMES ? undefined : canonicalOf(name);
      if (!alias) {
        unmapped.push([name, n]);
        continue;
      }
      // Per-layer gradient norms are one entry: a model has hundreds of layers.
      const key = isLayerGradNorm(alias.canonical) ? 'grad_norm/<layer>' : alias.canonical;
      if ((mapped[key] ??= []).length < REPORT_LIMITS.namesPerCanonical) mapped[key].push(name);
    }
    unmapped.sort((a, b) => b[1] - a[1]);
    const report: ReadReport = {
      format,
      lines: this.lines,
      points: this.points,
      skipped: this.skipped,
      examples: this.examples,
      mapped,
      unmapped: Object.fromEntries(unmapped.slice(0, REPORT_LIMITS.unmapped)),
      unmapped_names: unmapped.length,
    };
    return file === undefined ? report : { file, ...report };
  }
}
