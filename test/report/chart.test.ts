import { describe, expect, it } from 'vitest';
import { chartSvg, NONFINITE_COLOR } from '../../src/service/report/chart.ts';
import { svgToPng } from '../../src/service/report/png.ts';
import { linearScale, logScale } from '../../src/service/report/scale.ts';
import { decodePng, pixelsOfColor, plotAreas, seriesOf, svgSize, textsOf } from './figures.ts';

const noisyDecay = (n: number, seed: number) => Array.from({ length: n }, (_, i) => [i * 10, 2 * Math.exp(-i / (n / 4)) + 0.05 + 0.02 * Math.sin(i * seed)] as [number, number]);

describe('chart drawing', () => {
  it('draws each series in its colour inside the plot area, with its legend, axis labels and ticks', () => {
    const series = [
      { label: 'train_loss', color: '#1f77b4', points: noisyDecay(400, 1.3) },
      { label: 'val_loss', color: '#ff7f0e', points: noisyDecay(40, 0.7).map(([x, y]) => [x * 10, y + 0.3] as [number, number]) },
      { label: 'test_loss', color: '#2ca02c', points: noisyDecay(40, 0.4).map(([x, y]) => [x * 10, y + 0.6] as [number, number]) },
    ];
    const svg = chartSvg({ title: 'Loss', xLabel: 'step', yLabel: 'loss', series });
    const drawn = seriesOf(svg);
    expect(drawn.map((s) => s.label)).toEqual(['train_loss', 'val_loss', 'test_loss']);
    expect(drawn.map((s) => s.color)).toEqual(series.map((s) => s.color));
    // One move and a line to every other point: nothing dropped, nothing broken.
    expect(drawn[0].d.match(/L/g)).toHaveLength(399);
    expect(textsOf(svg, 'axis-label x')).toEqual(['step']);
    expect(textsOf(svg, 'axis-label y')).toEqual(['loss']);
    expect(textsOf(svg, 'legend-label')).toEqual(['train_loss', 'val_loss', 'test_loss']);
    const xTicks = textsOf(svg, 'tick x');
    expect(xTicks.length).toBeGreaterThanOrEqual(4);
    expect(new Set(xTicks).size).toBe(xTicks.length);
    expect(xTicks[0]).toBe('0');

    const png = decodePng(svgToPng(svg));
    expect({ width: png.width, height: png.height }).toEqual({ width: svgSize(svg).width * 2, height: svgSize(svg).height * 2 });
    const [area] = plotAreas(svg);
    for (const s of series) expect(pixelsOfColor(png, area, s.color, 2), s.label).toBeGreaterThan(200);
  });

  it('draws the lines of a figure on a machine with no font, leaving only the text out', () => {
    const svg = chartSvg({ title: 'Loss', xLabel: 'step', yLabel: 'loss', series: [{ label: 'train_loss', color: '#1f77b4', points: noisyDecay(100, 1) }] });
    const bare = decodePng(svgToPng(svg, 2, { fontFiles: [], loadSystemFonts: false }));
    expect(pixelsOfColor(bare, plotAreas(svg)[0], '#1f77b4', 2)).toBeGreaterThan(200);
    // The title's corner: dark text with a font, blank without one.
    const title = { x: 16, y: 12, width: 40, height: 16 };
    expect(pixelsOfColor(bare, title, '#111111', 2)).toBe(0);
    expect(pixelsOfColor(decodePng(svgToPng(svg)), title, '#111111', 2)).toBeGreaterThan(20);
  });

  it('breaks a line at NaN and infinite values and marks each one', () => {
    const points = noisyDecay(100, 1).map(([x, y], i) => [x, i === 30 ? NaN : i === 60 ? Infinity : y] as [number, number]);
    const svg = chartSvg({ title: 'Loss', xLabel: 'step', yLabel: 'loss', series: [{ label: 'train_loss', color: '#1f77b4', points }] });
    const [s] = seriesOf(svg);
    // Three pieces: before the NaN, between, after the infinity.
    expect(s.d.match(/M/g)).toHaveLength(3);
    // One cross per non-finite point, one more in the legend.
    expect(svg.match(/class="nonfinite"/g)).toHaveLength(3);
    expect(textsOf(svg, 'legend-label')).toContain('NaN / inf');
    const png = decodePng(svgToPng(svg));
    expect(pixelsOfColor(png, plotAreas(svg)[0], NONFINITE_COLOR, 2)).toBeGreaterThan(20);
  });

  it('draws a log axis in powers of ten, and falls back to linear when a value is not positive', () => {
    const points = Array.from({ length: 50 }, (_, i) => [i, 10 ** (-i / 10)] as [number, number]);
    const log = chartSvg({ title: 'Gradient norm', xLabel: 'step', yLabel: 'grad', logY: true, series: [{ label: 'g', color: '#1f77b4', points }] });
    expect(textsOf(log, 'axis-label y')).toEqual(['grad (log)']);
    expect(textsOf(log, 'tick y')).toEqual(['1e-5', '1e-4', '1e-3', '0.01', '0.1', '1']);
    const linear = chartSvg({ title: 'x', xLabel: 'step', yLabel: 'grad', logY: true, series: [{ label: 'g', color: '#1f77b4', points: [...points, [50, 0]] }] });
    expect(textsOf(linear, 'axis-label y')).toEqual(['grad']);
  });

  it('marks findings at their step with their kind, and leaves out markers off the axis', () => {
    const svg = chartSvg({
      title: 'Loss',
      xLabel: 'step',
      yLabel: 'loss',
      series: [{ label: 'train_loss', color: '#1f77b4', points: noisyDecay(100, 1) }],
      markers: [
        { x: 300, label: 'plateau', color: '#c26a00' },
        { x: 310, label: 'oscillation', color: '#c26a00' },
        { x: 1e6, label: 'far', color: '#c26a00' },
      ],
    });
    expect(textsOf(svg, 'marker-label')).toEqual(['plateau', 'oscillation']);
    const xs = [...svg.matchAll(/class="marker-label" transform="rotate\(90 ([\d.]+)/g)].map((m) => +m[1]);
    // Labels of findings close together are set apart, not drawn over each other.
    expect(xs[1] - xs[0]).toBeGreaterThanOrEqual(13);
  });
});

describe('axis ticks', () => {
  it('reads in one notation with distinct labels, whatever the range', () => {
    for (const [lo, hi] of [[0, 1], [0.00095, 0.00105], [1e-7, 3e-7], [0, 123456], [-5, 5], [0.001, 0.001], [42, 42]]) {
      const s = linearScale(lo, hi, 0, 400, 8);
      const labels = s.ticks.map((t) => t.label);
      expect(new Set(labels).size, `${lo}..${hi}: ${labels}`).toBe(labels.length);
      expect(s.ticks[0].value).toBeLessThanOrEqual(lo);
      expect(s.ticks[s.ticks.length - 1].value).toBeGreaterThanOrEqual(hi);
      const exponent = labels.filter((l) => l.includes('e'));
      expect(exponent.length === 0 || exponent.length >= labels.length - 1, labels.join(' ')).toBe(true);
    }
    expect(logScale(1e-9, 1e3, 0, 100, 4).ticks.length).toBeLessThanOrEqual(5);
    // A snug axis (steps) keeps its ticks within the data: no empty stretch past the last step.
    const snug = linearScale(3, 1830, 0, 400, 8, true);
    expect(snug.ticks.map((t) => t.value)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
    expect([snug.at(3), snug.at(1830)]).toEqual([0, 400]);
  });
});
