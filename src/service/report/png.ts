// Figures as PNG files, rasterised without a browser so reports are made on servers and in CI.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

/**
 * DejaVu Sans when the machine has it (Debian's fonts-dejavu-core), the system's fonts
 * otherwise. With no font at all resvg leaves text out and still draws the lines.
 */
const DEJAVU_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/TTF', '/usr/share/fonts/dejavu'];
const DEJAVU_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

export interface FontOptions {
  fontFiles: string[];
  loadSystemFonts: boolean;
  defaultFontFamily?: string;
}

let fontOptions: FontOptions | undefined;

function systemFonts(): FontOptions {
  if (!fontOptions) {
    const dir = DEJAVU_DIRS.find((d) => existsSync(join(d, DEJAVU_FILES[0])));
    const files = dir ? DEJAVU_FILES.map((f) => join(dir, f)).filter((f) => existsSync(f)) : [];
    // Two known files are read per render; scanning every system font is the slower fallback.
    fontOptions = { fontFiles: files, loadSystemFonts: files.length === 0, defaultFontFamily: 'DejaVu Sans' };
  }
  return fontOptions;
}

/** The SVG drawn at twice its size, so text stays sharp on a high-density screen or a slide. */
export function svgToPng(svg: string, scale = 2, fonts: FontOptions = systemFonts()): Buffer {
  const resvg = new Resvg(svg, { font: fonts, fitTo: { mode: 'zoom', value: scale } });
  return resvg.render().asPng();
}
