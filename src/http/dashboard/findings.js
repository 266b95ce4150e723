// The findings panel: what the diagnoser saw, with its evidence and suggested actions; updated live.
import { h, fill } from './dom.js';
import { num } from './format.js';

const RANK = { critical: 0, warning: 1, info: 2 };

function where(f) {
  const parts = [];
  if (f.epoch !== null && f.epoch !== undefined) parts.push(`epoch ${num(f.epoch)}`);
  if (f.step !== null && f.step !== undefined) parts.push(`step ${num(f.step)}`);
  return parts.length ? `since ${parts.join(', ')}` : '';
}

function evidence(ev) {
  const entries = Object.entries(ev ?? {});
  if (!entries.length) return null;
  return h('dl', { class: 'evidence' }, entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'number' || /^-?(NaN|Infinity)$/.test(String(v)) ? num(v) : String(v))]));
}

function card(f) {
  return h(
    'article',
    { class: `finding sev-${f.severity} status-${f.status}`, 'data-kind': f.kind, 'data-id': f.id, tabindex: '-1' },
    h('header', {}, h('span', { class: `badge sev-${f.severity}` }, f.severity), h('strong', {}, f.kind.replaceAll('_', ' ')), h('span', { class: 'muted' }, f.status === 'resolved' ? 'resolved' : where(f))),
    h('p', { class: 'message' }, f.message),
    evidence(f.evidence),
    f.actions?.length ? h('ul', { class: 'actions' }, f.actions.map((a) => h('li', {}, a))) : null,
  );
}

export class FindingsPanel {
  constructor(body, note) {
    this.body = body;
    this.note = note;
    this.byId = new Map();
  }

  setAll(findings) {
    this.byId = new Map(findings.map((f) => [f.id, f]));
    this.render();
  }

  upsert(finding) {
    this.byId.set(finding.id, finding);
    this.render();
  }

  /** Brings finding `id` into view and marks it, as a chart's marker asks. */
  open(id) {
    this.focused = id;
    this.render();
    const el = this.body.querySelector('.finding.focused');
    if (!el) return;
    el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    el.focus({ preventScroll: true });
  }

  openCount() {
    return [...this.byId.values()].filter((f) => f.status === 'open').length;
  }

  render() {
    const all = [...this.byId.values()].sort(
      (a, b) => (a.status === b.status ? 0 : a.status === 'open' ? -1 : 1) || RANK[a.severity] - RANK[b.severity] || b.updated_at - a.updated_at,
    );
    const open = this.openCount();
    this.note.textContent = all.length ? `${open} open, ${all.length - open} resolved` : '';
    if (!all.length) return fill(this.body, h('p', { class: 'muted' }, 'No findings: nothing wrong seen so far.'));
    fill(this.body, all.map(card));
    // The finding a chart marker opened stays marked as the list changes under it.
    for (const el of this.body.querySelectorAll('.finding')) el.classList.toggle('focused', el.dataset.id === this.focused);
  }
}
