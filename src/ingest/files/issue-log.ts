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
}
