// Jupyter notebooks (.ipynb): the training output the cells printed, read as the console log it is.
// Format: https://nbformat.readthedocs.io/en/latest/format_description.html
// Keras, PyTorch loops and tqdm print to the cells' `stream` outputs; the Hugging Face Trainer shows
// its table of evaluations as HTML (`display_data`), read here as a boxed table of the same rows.
import type { EventInput } from '../../domain/events.ts';
import type { ParsedDocument } from './formats.ts';
import { ReadTally } from './read-tally.ts';
import { createTextReader } from './text-log.ts';

/** nbformat stores multi-line text as a list of lines (each with its newline) or as one string. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return Array.isArray(value) ? value.filter((v) => typeof v === 'string').join('') : '';
}

const ROW = /<tr[^>]*>([\s\S]*?)<\/tr>/gi;
const CELL = /<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/gi;
const ENTITIES: Record<string, string> = { '&nbsp;': ' ', '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** The rows of the HTML tables in an output, as `| a | b |` lines (the boxed tables the log reader knows). */
function htmlTableLines(html: string): string {
  const lines: string[] = [];
  for (const row of html.matchAll(ROW)) {
    const cells = [...row[1].matchAll(CELL)].map((c) =>
      c[1]
        .replace(/<[^>]*>/g, '')
        .replace(/&[#\w]+;/g, (e) => ENTITIES[e] ?? ' ')
        .trim(),
    );
    if (cells.length > 0) lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** What one output shows as text: a stream, an HTML table, a plain result, an error's name and message. */
function outputText(output: Record<string, unknown>): string {
  if (output.output_type === 'stream') return textOf(output.text);
  if (output.output_type === 'error') return `${String(output.ename)}: ${String(output.evalue)}\n`;
  const data = output.data as Record<string, unknown> | undefined;
  if (!data) return '';
  const table = htmlTableLines(textOf(data['text/html']));
  return table || textOf(data['text/plain']);
}

export function parseNotebook(doc: unknown): ParsedDocument {
  const reader = createTextReader();
  const events: EventInput[] = [];
  for (const cell of (doc as { cells: unknown[] }).cells) {
    const outputs = (cell as { outputs?: unknown }).outputs;
    if (!Array.isArray(outputs)) continue;
    for (const output of outputs) {
      if (output === null || typeof output !== 'object') continue;
      const text = outputText(output as Record<string, unknown>);
      if (text !== '') events.push(...reader.push(text.endsWith('\n') ? text : `${text}\n`));
    }
  }
  events.push(...reader.end());
  // The caller counts the events' values; the reader's lines and skipped lines are kept.
  const tally = new ReadTally();
  tally.mergeRead(reader.tally);
  return { events, tally };
}
