// Small pieces of SVG text shared by the charts and the dashboard.

export const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
/** Average advance of a character over the font size, for DejaVu Sans (the widest of FONT): text measured without a font engine. */
const CHAR_EM = 0.6;

export function textWidth(text: string, size: number): number {
  return text.length * size * CHAR_EM;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text cut to fit a width, with an ellipsis: a long metric name must not run over its neighbours. */
export function fitText(text: string, size: number, width: number): string {
  const max = Math.floor(width / (size * CHAR_EM));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Pixel coordinates to one decimal: enough for any screen, a third of the text of full precision. */
export const px = (v: number) => Math.round(v * 10) / 10;

export function text(x: number, y: number, content: string, attrs: Record<string, string | number> = {}): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  return `<text x="${px(x)}" y="${px(y)}"${a}>${escapeXml(content)}</text>`;
}

export function svgDocument(width: number, height: number, body: string, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}" font-family="${escapeXml(FONT)}">` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`
  );
}
