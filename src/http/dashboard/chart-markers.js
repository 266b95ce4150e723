// Markers over a chart: where a value was NaN or infinite, and where each finding began; positioned on every redraw.
import { h } from './dom.js';

/** Marks per chart: a series NaN at every step of a long run must not add thousands of elements. */
const MAX_MARKERS = 200;

/**
 * `marks`: `{x, kind: 'nonfinite' | 'finding', label, severity?, id?}`. Findings are buttons:
 * a click calls `onFinding(id)`.
 */
export class MarkerLayer {
  constructor(onFinding) {
    this.onFinding = onFinding;
    this.root = h('div', { class: 'chart-markers' });
    this.marks = [];
  }

  set(marks) {
    // Live points redraw a chart many times a second: the markers' elements are rebuilt only when they change.
    const kept = marks.slice(0, MAX_MARKERS);
    const signature = JSON.stringify(kept.map((m) => [m.kind, m.x, m.id, m.severity, m.status, m.label]));
    if (signature === this.signature) return;
    this.signature = signature;
    this.marks = kept;
    this.root.replaceChildren(
      ...this.marks.map((m) =>
        m.kind === 'finding'
          ? h('button', { type: 'button', class: `marker finding-marker sev-${m.severity} status-${m.status}`, title: m.label, 'aria-label': m.label, 'data-finding': m.id, onclick: (e) => (e.stopPropagation(), this.onFinding?.(m.id)) }, m.short)
          : h('span', { class: 'marker nonfinite-marker', title: m.label, 'data-nonfinite': m.label }, '!'),
      ),
    );
  }

  /** Moves each marker to its x on the plot as scaled now; ones outside the visible range hide. */
  place(u) {
    if (this.root.parentNode !== u.over) u.over.append(this.root);
    const width = u.over.clientWidth;
    this.marks.forEach((m, i) => {
      const el = this.root.children[i];
      const left = u.valToPos(m.x, 'x');
      const shown = Number.isFinite(left) && left >= -1 && left <= width + 1;
      el.hidden = !shown;
      if (shown) el.style.left = `${left}px`;
    });
  }
}
