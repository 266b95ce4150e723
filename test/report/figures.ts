// Reading a figure back: its SVG's series, labels and plot area, and its PNG's pixels.
import { PNG } from 'pngjs';

export interface SvgSeries {
  label: string;
  color: string;
  d: string;
}

/** The `<path class="series">` elements of a chart: what was drawn, one per line. */
export function seriesOf(svg: string): SvgSeries[] {
  return [...svg.matchAll(/<path class="series" data-series="([^"]*)" d="([^"]*)" fill="none" stroke="(#[0-9a-f]{6})"/g)].map((m) => ({ label: m[1], d: m[2], color: m[3] }));
}

export function textsOf(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<text[^>]*class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
}

/** The rectangles of a chart's plot areas (several on the dashboard), in SVG units. */
export function plotAreas(svg: string): Array<{ x: number; y: number; width: number; height: number }> {
  return [...svg.matchAll(/<rect class="plot-area" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => ({ x: +m[1], y: +m[2], width: +m[3], height: +m[4] }));
}

export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
  return { width: +m[1], height: +m[2] };
}

/** Pixels of exactly this colour inside a rectangle given in SVG units, on a PNG drawn `scale` times bigger. */
export function pixelsOfColor(png: PNG, area: { x: number; y: number; width: number; height: number }, color: string, scale: number): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  let n = 0;
  for (let y = Math.ceil(area.y * scale) + 2; y < Math.floor((area.y + area.height) * scale) - 2; y++) {
    for (let x = Math.ceil(area.x * scale) + 2; x < Math.floor((area.x + area.width) * scale) - 2; x++) {
      const i = (y * png.width + x) * 4;
      if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b && png.data[i + 3] === 255) n++;
    }
  }
  return n;
}

export function decodePng(buf: Buffer): PNG {
  return PNG.sync.read(buf);
}
