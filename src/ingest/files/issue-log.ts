// Collects the records a reader skipped, bounded so a corrupt live file cannot grow memory forever.
import type { ImportIssue } from '../../domain/imports.ts';

const KEPT = 100;

export class IssueLog {
  readonly kept: ImportIssue[] = [];
  count = 0;

  add(issue: ImportIssue): void {
    this.count++;
    if (this.kept.length < KEPT) this.kept.push(issue);
  }

  /** Another log's issues, counted in full even where its kept list was cut. */
  merge(other: IssueLog): void {
    for (const issue of other.kept) this.add(issue);
    this.count += other.count - other.kept.length;
  }
}
