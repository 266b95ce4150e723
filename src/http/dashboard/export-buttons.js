// Downloads of a run's record (GET /runs/:id/export): fetched with the token the server may ask for, then saved.
import { request, unavailable } from './api.js';
import { h, fill } from './dom.js';

const FORMATS = [
  { format: 'csv', label: 'CSV', title: 'one row per epoch (or step)' },
  { format: 'json', label: 'JSON', title: 'the full record: run, metrics, findings, analysis' },
];

/** The file name the server gives in content-disposition, else one made from the run. */
function fileName(res, fallback) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get('content-disposition') ?? '');
  return m ? decodeURIComponent(m[1]) : fallback;
}

export function exportButtons(runId, body) {
  const result = h('p', { class: 'muted result' });
  const save = async (f) => {
    try {
      const res = await request(`/runs/${encodeURIComponent(runId)}/export?format=${f.format}`);
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: fileName(res, `${runId}.${f.format}`) });
      document.body.append(a);
      a.click();
      a.remove();
      // The browser has taken the file once the click is handled.
      setTimeout(() => URL.revokeObjectURL(url), 0);
      fill(result);
    } catch (error) {
      fill(result, h('span', { class: 'error' }, unavailable('Export', error)));
    }
  };
  body.append(
    h('div', { class: 'buttons' }, FORMATS.map((f) => h('button', { type: 'button', class: 'ghost', 'data-export': f.format, title: f.title, onclick: () => save(f) }, `Download ${f.label}`))),
    result,
  );
}
