// The controls over a page's charts (search, smoothing, x axis, log y, outliers) and what a project remembers of them: settings, pinned and hidden panels.
import { DEFAULT_SETTINGS, X_MODES } from './charts.js';
import { h } from './dom.js';

const X_TEXT = { step: 'step', epoch: 'epoch', relative: 'relative time', wall: 'wall time' };
const STORE_PREFIX = 'training-analyst.charts.';

/** One project's chart layout in localStorage: the same panels pinned and hidden on every run of it. */
export class ChartLayout {
  constructor(project) {
    this.key = `${STORE_PREFIX}${project ?? ''}`;
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem(this.key) ?? '{}') ?? {};
    } catch {
      // A value another version wrote: start over rather than fail the page.
    }
    this.settings = { ...DEFAULT_SETTINGS, ...(saved.settings ?? {}) };
    if (!X_MODES.includes(this.settings.x)) this.settings.x = DEFAULT_SETTINGS.x;
    this.pinned = new Set(saved.pinned ?? []);
    this.hidden = new Set(saved.hidden ?? []);
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify({ settings: this.settings, pinned: [...this.pinned], hidden: [...this.hidden] }));
  }

  toggle(set, key) {
    if (!set.delete(key)) set.add(key);
    this.save();
  }
}

/**
 * The toolbar: `onSettings(settings)` after a change of smoothing, x axis, log or clip;
 * `onSearch(text)` as the reader types; `onShowHidden(on)` for the hidden panels' toggle.
 */
export function chartToolbar(layout, { onSettings, onSearch, onShowHidden }) {
  const s = layout.settings;
  const changed = (patch) => {
    Object.assign(s, patch);
    layout.save();
    onSettings({ ...s });
  };
  const smoothValue = h('output', { class: 'smooth-value' }, s.smoothing.toFixed(2));
  const smoothing = h('input', {
    type: 'range', min: '0', max: '0.99', step: '0.01', value: String(s.smoothing), name: 'smoothing', 'aria-label': 'smoothing',
    oninput: (e) => {
      smoothValue.textContent = Number(e.target.value).toFixed(2);
      changed({ smoothing: Number(e.target.value) });
    },
  });
  const x = h('select', { name: 'x-axis', 'aria-label': 'x axis', onchange: (e) => changed({ x: e.target.value }) }, X_MODES.map((m) => h('option', { value: m, selected: m === s.x }, X_TEXT[m])));
  const check = (name, label, on, tip) => h('label', { class: 'check', title: tip }, h('input', { type: 'checkbox', name, checked: on, onchange: (e) => changed({ [name]: e.target.checked }) }), label);
  const search = h('input', { type: 'search', name: 'panel-search', placeholder: 'Search metrics', 'aria-label': 'search metrics', oninput: (e) => onSearch(e.target.value) });
  const hiddenToggle = h('label', { class: 'check hidden-toggle' }, h('input', { type: 'checkbox', name: 'show-hidden', onchange: (e) => onShowHidden(e.target.checked) }), h('span', { class: 'hidden-count' }));
  const bar = h(
    'div',
    { class: 'chart-toolbar' },
    search,
    h('label', { class: 'field', title: "TensorBoard's smoothing: a debiased exponential moving average; the raw curve stays faint behind" }, 'Smoothing ', smoothing, smoothValue),
    h('label', { class: 'field' }, 'X axis ', x),
    check('log', 'log y', s.log, 'logarithmic y axis on every chart'),
    check('clip', 'clip outliers', s.clip, 'keep each y axis to the central 96% of its values'),
    hiddenToggle,
    h('span', { class: 'muted chart-hint' }, 'drag: zoom · shift+drag: pan · ctrl+wheel: zoom · double-click: reset'),
  );
  return {
    root: bar,
    /** How many panels are hidden: the toggle shows only when some are. */
    setHidden(n) {
      hiddenToggle.hidden = n === 0;
      hiddenToggle.querySelector('.hidden-count').textContent = `show ${n} hidden`;
    },
  };
}
