// Seed 3's task status for one run: status, progress, epoch and step, ETA, timings, best value, latest metrics.
import { h, fill } from './dom.js';
import { ago, duration, isBad, num, outOf, percent } from './format.js';

export function statusBadge(status) {
  return h('span', { class: `badge st-${status}` }, status);
}

const SEVERITIES = ['critical', 'warning', 'info'];

/** The open findings count in the colour of the worst open severity. */
export function findingsBadge(bySeverity) {
  const worst = SEVERITIES.find((s) => bySeverity?.[s] > 0);
  const total = SEVERITIES.reduce((n, s) => n + (bySeverity?.[s] ?? 0), 0);
  if (!worst) return h('span', { class: 'muted', 'data-severity': 'none' }, '0');
  const title = SEVERITIES.filter((s) => bySeverity[s]).map((s) => `${bySeverity[s]} ${s}`).join(', ');
  return h('span', { class: `badge sev-${worst}`, 'data-severity': worst, title }, String(total));
}

/** Open findings by severity, from a list of findings. */
export function bySeverity(findings) {
  const counts = { critical: 0, warning: 0, info: 0 };
  for (const f of findings ?? []) if (f.status === 'open') counts[f.severity]++;
  return counts;
}

export function progressBar(progress) {
  const p = progress === null || progress === undefined ? null : Math.max(0, Math.min(100, progress));
  return h(
    'span',
    { class: 'progress', title: percent(p) },
    h('span', { class: 'bar', style: `width:${p ?? 0}%` }),
    h('span', { class: 'label' }, percent(p)),
  );
}

function stat(label, value, key) {
  return h('div', { class: 'stat', 'data-stat': key }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, value));
}

function bestText(best) {
  if (!best) return '—';
  const at = best.epoch !== null ? ` @ epoch ${num(best.epoch)}` : best.step !== null ? ` @ step ${num(best.step)}` : '';
  return `${best.metric} ${num(best.value)}${at}`;
}

export function renderStatus(el, s) {
  fill(
    el,
    h(
      'div',
      { class: 'status-line' },
      h('h1', {}, s.name),
      h('span', { class: 'muted' }, s.project),
      statusBadge(s.status),
      s.finish_reason ? h('span', { class: 'muted' }, s.finish_reason) : null,
      progressBar(s.progress),
    ),
    h(
      'div',
      { class: 'stats' },
      stat('Epoch', outOf(s.epoch, s.total_epochs), 'epoch'),
      stat('Step', outOf(s.step, s.total_steps), 'step'),
      stat('ETA', duration(s.eta_s), 'eta'),
      stat('Elapsed', duration(s.elapsed_s), 'elapsed'),
      stat('Avg epoch', duration(s.avg_epoch_time_s), 'avg_epoch'),
      stat('Best', bestText(s.best), 'best'),
      stat('Open findings', findingsBadge(bySeverity(s.findings)), 'open_findings'),
      stat('Last event', ago(s.last_event_at), 'last_event'),
    ),
  );
}

/** Latest value of every metric as sent; live events merge into it as seed 3 asks. */
export class LatestTable {
  constructor(body) {
    this.values = new Map();
    this.frame = 0;
    this.table = h('table', { class: 'latest' });
    body.append(this.table);
  }

  setAll(latest) {
    this.values = new Map(Object.entries(latest ?? {}));
    this.render();
  }

  merge(e) {
    for (const [name, value] of Object.entries(e.values)) this.values.set(name, value);
    // A burst of events redraws the table once.
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    this.frame = 0;
    const rows = [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b));
    fill(
      this.table,
      h('thead', {}, h('tr', {}, h('th', {}, 'metric'), h('th', { class: 'num' }, 'value'))),
      h(
        'tbody',
        {},
        rows.length ? null : h('tr', {}, h('td', { colspan: 2, class: 'muted' }, 'no metrics yet')),
        rows.map(([name, v]) => h('tr', { 'data-metric': name }, h('td', {}, name), h('td', { class: `num${isBad(v) ? ' bad' : ''}` }, num(v)))),
      ),
    );
  }
}
