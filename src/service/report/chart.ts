// A line chart drawn as SVG: axes with readable ticks, several series with a legend, non-finite
// points marked where they happened, and findings marked at the step they began.
import { linearScale, logScale, tickCount, type Scale } from './scale.ts';
import { escapeXml, fitText, px, svgDocument, text, textWidth } from './svg.ts';

export interface ChartSeries {
  label: string;
  color: string;
  /** [x, y]; y may be NaN or infinite: drawn as a mark, the line broken there. */
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface ChartMarker {
  x: number;
  label: string;
  color: string;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** A log y axis, kept only when every finite value is positive. */
  logY?: boolean;
  series: ChartSeries[];
  markers?: ChartMarker[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const NONFINITE_COLOR = '#d62728';
const GRID = '#e6e6e6';
const AXIS = '#444444';
const MUTED = '#666666';
const TITLE_SIZE = 15;
const SMALL = 11;
/** Finding labels start under the row where NaN marks sit. */
const MARKER_LABEL_TOP = 16;
const TICK = 11;
/** Series with at most this many points are drawn with a dot at each point: few points are data, not a curve. */
const DOTS_UP_TO = 60;

interface Extent {
  x: [number, number];
  y: [number, number];
  nonfinite: boolean;
}

function extentOf(series: ChartSeries[], log: boolean): Extent | undefined {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  let nonfinite = false;
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x)) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      if (!Number.isFinite(y)) nonfinite = true;
      else if (!log || y > 0) {
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x0 > x1) return undefined;
  // A series of only non-finite values still has an axis to mark them on.
  if (y0 > y1) [y0, y1] = log ? [0.1, 10] : [0, 1];
  return { x: [x0, x1], y: [y0, y1], nonfinite };
}

function canLog(series: ChartSeries[]): boolean {
  return series.some((s) => s.points.some(([, y]) => Number.isFinite(y))) && series.every((s) => s.points.every(([, y]) => !Number.isFinite(y) || y > 0));
}

/** Legend entries laid in rows across the width; returns the SVG and the height it takes. */
function legend(series: ChartSeries[], nonfinite: boolean, box: Box, top: number): { svg: string; height: number } {
  const items = series.map((s) => ({ label: s.label, color: s.color, dashed: s.dashed, cross: false }));
  if (nonfinite) items.push({ label: 'NaN / inf', color: NONFINITE_COLOR, dashed: false, cross: true });
  const rowHeight = 18;
  const maxLabel = box.width - 40;
  let x = box.x;
  let y = top;
  const parts: string[] = [];
  for (const item of items) {
    const label = fitText(item.label, SMALL, maxLabel);
    const w = 22 + textWidth(label, SMALL) + 16;
    if (x > box.x && x + w > box.x + box.width) {
      x = box.x;
      y += rowHeight;
    }
    const mid = y + rowHeight / 2;
    parts.push(
      item.cross
        ? cross(x + 8, mid, 4, item.color)
        : `<line x1="${px(x)}" y1="${px(mid)}" x2="${px(x + 16)}" y2="${px(mid)}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    parts.push(text(x + 22, mid + 4, label, { 'font-size': SMALL, fill: '#222222', class: 'legend-label' }));
    x += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: items.length ? y - top + rowHeight : 0 };
}

function cross(x: number, y: number, r: number, color: string): string {
  return `<path class="nonfinite" d="M${px(x - r)} ${px(y - r)}L${px(x + r)} ${px(y + r)}M${px(x - r)} ${px(y + r)}L${px(x + r)} ${px(y - r)}" stroke="${color}" stroke-width="2.5"/>`;
}

/** The path of a series: a new sub-path after each non-finite point, so a NaN is a gap, not a line to zero. */
function seriesPath(points: Array<[number, number]>, xs: Scale, ys: Scale, log: boolean): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y) || (log && y <= 0)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(xs.at(x))} ${px(ys.at(y))}`;
    pen = true;
  }
  return d;
}

/** The chart drawn inside `box` (for a page of several); `chartSvg` makes it a document. */
export function chartGroup(spec: ChartSpec, box: Box): string {
  const markers = spec.markers ?? [];
  const log = Boolean(spec.logY) && canLog(spec.series);
  const ext = extentOf(spec.series, log);
  const parts: string[] = [];
  let top = box.y + TITLE_SIZE + 4;
  parts.push(text(box.x, top - 4, fitText(spec.title, TITLE_SIZE, box.width), { 'font-size': TITLE_SIZE, 'font-weight': 'bold', fill: '#111111', class: 'title' }));
  if (spec.subtitle) {
    top += SMALL + 6;
    parts.push(text(box.x, top - 4, fitText(spec.subtitle, SMALL, box.width), { 'font-size': SMALL, fill: MUTED, class: 'subtitle' }));
  }
  const leg = legend(spec.series, ext?.nonfinite ?? false, box, top + 2);
  parts.push(leg.svg);
  top += leg.height + 10;
  const bottom = box.y + box.height - 36;
  if (!ext || bottom - top < 40) {
    parts.push(text(box.x + box.width / 2, (top + box.y + box.height) / 2, 'no points to draw', { 'font-size': SMALL, fill: MUTED, 'text-anchor': 'middle' }));
    return `<g class="chart">${parts.join('')}</g>`;
  }
  const plotTop = top + (markers.length ? 4 : 0);
  const ys = (log ? logScale : linearScale)(ext.y[0], ext.y[1], bottom, plotTop, tickCount(bottom - plotTop, 44));
  const yLabelWidth = Math.max(...ys.ticks.map((t) => textWidth(t.label, TICK)));
  const left = box.x + 22 + yLabelWidth + 6;
  const right = box.x + box.width - 12;
  const xTickWidth = Math.max(textWidth(String(Math.round(ext.x[1])), TICK), textWidth(String(Math.round(ext.x[0])), TICK)) + 40;
  const xs = linearScale(ext.x[0], ext.x[1], left, right, tickCount(right - left, xTickWidth), true);
  // Grid and ticks.
  const grid: string[] = [];
  for (const t of ys.ticks) {
    const y = ys.at(t.value);
    grid.push(`<line x1="${px(left)}" y1="${px(y)}" x2="${px(right)}" y2="${px(y)}" stroke="${GRID}"/>`);
    grid.push(text(left - 6, y + 4, t.label, { 'font-size': TICK, fill: AXIS, 'text-anchor': 'end', class: 'tick y' }));
  }
  for (const t of xs.ticks) {
    const x = xs.at(t.value);
    grid.push(`<line x1="${px(x)}" y1="${px(plotTop)}" x2="${px(x)}" y2="${px(bottom)}" stroke="${GRID}"/>`);
    grid.push(text(x, bottom + 15, t.label, { 'font-size': TICK, fill: AXIS, 'text-anchor': 'middle', class: 'tick x' }));
  }
  parts.push(`<g class="grid">${grid.join('')}</g>`);
  parts.push(`<rect class="plot-area" x="${px(left)}" y="${px(plotTop)}" width="${px(right - left)}" height="${px(bottom - plotTop)}" fill="none" stroke="${AXIS}"/>`);
  parts.push(text((left + right) / 2, bottom + 31, spec.xLabel, { 'font-size': SMALL + 1, fill: '#222222', 'text-anchor': 'middle', class: 'axis-label x' }));
  const yMid = (plotTop + bottom) / 2;
  parts.push(
    `<text class="axis-label y" x="${px(box.x + 12)}" y="${px(yMid)}" font-size="${SMALL + 1}" fill="#222222" text-anchor="middle" transform="rotate(-90 ${px(box.x + 12)} ${px(yMid)})">${escapeXml(
      fitText(spec.yLabel + (ys.log ? ' (log)' : ''), SMALL + 1, bottom - plotTop),
    )}</text>`,
  );
  // Findings behind the data, so a curve stays readable where one began.
  let lastLabelX = -Infinity;
  for (const m of markers) {
    if (m.x < ext.x[0] || m.x > ext.x[1]) continue;
    const x = xs.at(m.x);
    // Labels of findings close together are set side by side rather than on top of each other.
    const lx = Math.max(x + 3, lastLabelX + 13);
    lastLabelX = lx;
    parts.push(
      `<g class="marker"><line x1="${px(x)}" y1="${px(plotTop)}" x2="${px(x)}" y2="${px(bottom)}" stroke="${m.color}" stroke-width="1.5" stroke-dasharray="4 3"/>` +
        `<text x="${px(lx)}" y="${px(plotTop + MARKER_LABEL_TOP)}" font-size="${SMALL}" fill="${m.color}" class="marker-label" transform="rotate(90 ${px(lx)} ${px(plotTop + MARKER_LABEL_TOP)})">${escapeXml(
          fitText(m.label, SMALL, bottom - plotTop - MARKER_LABEL_TOP - 4),
        )}</text></g>`,
    );
  }
  for (const s of spec.series) {
    const d = seriesPath(s.points, xs, ys, log);
    parts.push(
      `<path class="series" data-series="${escapeXml(s.label)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    const finite = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0));
    if (finite.length <= DOTS_UP_TO) {
      parts.push(`<g fill="${s.color}">${finite.map(([x, y]) => `<circle cx="${px(xs.at(x))}" cy="${px(ys.at(y))}" r="2.5"/>`).join('')}</g>`);
    }
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && !Number.isFinite(y)) parts.push(cross(xs.at(x), y === -Infinity ? bottom - 6 : plotTop + 6, 4, NONFINITE_COLOR));
    }
  }
  return `<g class="chart">${parts.join('')}</g>`;
}

export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 420;

export function chartSvg(spec: ChartSpec, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  return svgDocument(width, height, chartGroup(spec, { x: 16, y: 12, width: width - 32, height: height - 20 }), spec.title);
}
