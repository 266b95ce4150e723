// The report as one self-contained HTML page: inline CSS, figures inline as SVG, nothing fetched.
import type { RunComparison } from '../../domain/analysis.ts';
import type { Finding } from '../../domain/findings.ts';
import { formatNumber } from '../../domain/format.ts';
import { severityColor } from './colors.ts';
import type { Figure, LeftOut, ReportRun } from './figure.ts';
import { escapeXml as esc } from './svg.ts';

export interface Narration {
  text: string;
  /** Who wrote it: a model, or the offline narrator. */
  provider: string;
  model: string;
}

export interface HtmlInput {
  runs: ReportRun[];
  figures: Figure[];
  leftOut: LeftOut[];
  narration: Narration | null;
  /** The first run against each other one. */
  comparisons: Array<{ other: string; comparison: RunComparison }>;
  generatedAt: number;
}

const CSS = `
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#1d1d1d;max-width:1100px;margin:24px auto;padding:0 20px;line-height:1.45}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:14px}
table{border-collapse:collapse;font-size:14px;margin:6px 0}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}th{background:#f4f4f4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.finding{border-left:5px solid #999;padding:6px 14px;margin:12px 0;background:#fafafa}
.finding h3{font-size:16px;margin:0 0 4px}.sev{font-size:12px;font-weight:bold;text-transform:uppercase;color:#fff;padding:1px 6px;border-radius:3px;margin-right:6px}
.finding .where{color:#555;font-size:13px}
figure{margin:18px 0}figure svg{width:100%;height:auto;border:1px solid #e2e2e2}figcaption{font-size:13px;color:#555;margin-top:4px}
.analysis p{margin:8px 0}.analysis .by{font-size:13px;color:#666}
`;

const when = (ms: number | null) => (ms === null ? '–' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
const num = (n: number | null) => (n === null ? '–' : formatNumber(n));

function table(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="num">${esc(v)}</td></tr>`).join('')}</table>`;
}

function summary(r: ReportRun): string {
  const { summary: s, stability: st, overfitting: o, convergence } = r.analysis;
  return table([
    ['convergence', convergence],
    ['overfitting score (0 none, 1 severe)', formatNumber(o.score, 2)],
    ['epochs', num(s.total_epochs)],
    ['steps', num(s.total_steps)],
    ['best', s.best_metric ? `${s.best_metric} ${num(s.best_value)}${s.best_epoch !== null ? ` at epoch ${num(s.best_epoch)}` : s.best_step !== null ? ` at step ${num(s.best_step)}` : ''}` : '–'],
    ['final training loss', num(s.final_train_loss)],
    ['final validation loss', num(s.final_val_loss)],
    ['total time (s)', num(s.total_time_s)],
    ['average epoch time (s)', num(s.avg_epoch_time_s)],
    ['training loss trend (relative change over the recent window)', num(st.train_loss_relative)],
    ['validation loss trend', num(st.val_loss_relative)],
  ]);
}

function comparisonTable(input: HtmlInput): string {
  const head = ['run', 'status', 'convergence', 'best', 'best at', 'final train loss', 'final val loss', 'overfitting', 'findings'];
  const rows = input.runs.map((r) => {
    const s = r.analysis.summary;
    return [
      `${r.run.project}/${r.run.name}`,
      r.run.status,
      r.analysis.convergence,
      s.best_metric ? `${s.best_metric} ${num(s.best_value)}` : '–',
      s.best_epoch !== null ? `epoch ${num(s.best_epoch)}` : s.best_step !== null ? `step ${num(s.best_step)}` : '–',
      num(s.final_train_loss),
      num(s.final_val_loss),
      formatNumber(r.analysis.overfitting.score, 2),
      String(r.findings.length),
    ];
  });
  const verdicts = input.comparisons.map((c) => `<li>${esc(input.runs[0].run.name)} against ${esc(c.other)}: ${esc(c.comparison.reason)}</li>`).join('');
  return (
    `<table class="comparison"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>` +
    (verdicts ? `<ul>${verdicts}</ul>` : '')
  );
}

function finding(f: Finding): string {
  const where = f.epoch !== null ? `from epoch ${num(f.epoch)}` : f.step !== null ? `from step ${num(f.step)}` : '';
  const evidence = Object.entries(f.evidence);
  return (
    `<div class="finding" data-kind="${esc(f.kind)}" style="border-color:${severityColor(f.severity)}">` +
    `<h3><span class="sev" style="background:${severityColor(f.severity)}">${esc(f.severity)}</span>${esc(f.kind)} <span class="where">${esc(where)} · ${esc(f.status)}</span></h3>` +
    `<p>${esc(f.message)}</p>` +
    (evidence.length ? `<table class="evidence">${evidence.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="num">${esc(typeof v === 'number' ? formatNumber(v) : String(v))}</td></tr>`).join('')}</table>` : '') +
    (f.actions.length ? `<p>What to do:</p><ul>${f.actions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>` : '') +
    `</div>`
  );
}

function narration(n: Narration | null): string {
  if (!n) return '<p>No analysis text: the analyst was not asked.</p>';
  const paragraphs = n.text.split(/\n\s*\n/).map((p) => `<p>${esc(p.trim()).replace(/\n/g, '<br>')}</p>`);
  const by = n.provider === 'offline' ? 'Written by the offline narrator, from the rules and the numbers, without a model.' : `Written by ${n.provider} (${n.model}).`;
  return `<div class="analysis">${paragraphs.join('')}<p class="by">${esc(by)}</p></div>`;
}

export function reportHtml(input: HtmlInput): string {
  const main = input.runs[0];
  const run = main.run;
  const sections: string[] = [];
  sections.push(
    `<h1>${esc(run.project)} / ${esc(run.name)}</h1><p class="meta">Run ${esc(run.id)} · ${esc(run.status)} · ` +
      `${main.started_at !== null ? `started ${esc(when(main.started_at))} · ` : ''}` +
      `${main.started_at !== null && run.finished_at !== null ? `finished ${esc(when(run.finished_at))} · ` : ''}report made ${esc(when(input.generatedAt))}</p>`,
  );
  sections.push(`<h2>Summary</h2>${summary(main)}`);
  if (input.runs.length > 1) sections.push(`<h2>Comparison</h2>${comparisonTable(input)}`);
  sections.push(`<h2>Analysis</h2>${narration(input.narration)}`);
  sections.push(`<h2>Findings</h2>${main.findings.length ? main.findings.map(finding).join('') : '<p>The rules found no problem in this run.</p>'}`);
  sections.push(
    `<h2>Figures</h2>${input.figures.map((f) => `<figure id="figure-${esc(f.id)}">${f.svg}<figcaption><b>${esc(f.title)}.</b> ${esc(f.caption)}</figcaption></figure>`).join('')}`,
  );
  if (input.leftOut.length) {
    sections.push(`<h2>Figures left out</h2><ul class="left-out">${input.leftOut.map((l) => `<li data-figure="${esc(l.id)}"><b>${esc(l.title)}:</b> ${esc(l.reason)}.</li>`).join('')}</ul>`);
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Report: ${esc(run.project)} / ${esc(run.name)}</title><style>${CSS}</style></head><body>${sections.join('\n')}</body></html>\n`;
}
