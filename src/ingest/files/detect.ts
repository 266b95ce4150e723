// Tells a training file's format from its name and its first bytes.
import path from 'node:path';
import { splitCsvLine } from './csv.ts';
import { isMetricHistory } from './keras-history.ts';
import { parsePythonJson } from './python-json.ts';

export const STREAM_FORMATS = ['jsonl', 'detectron2', 'keras_csv', 'lightning_csv', 'yolo_csv', 'csv', 'text', 'tfevents'] as const;
export const DOCUMENT_FORMATS = ['hf_trainer_state', 'lineage', 'keras_history', 'notebook', 'json'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];
export type FileFormat = StreamFormat | DocumentFormat;

export function isFileFormat(name: string): name is FileFormat {
  return (STREAM_FORMATS as readonly string[]).includes(name) || (DOCUMENT_FORMATS as readonly string[]).includes(name);
}

/** A format read as one JSON document, not as it streams. */
export function isDocumentFormat(format: FileFormat): format is DocumentFormat {
  return (DOCUMENT_FORMATS as readonly string[]).includes(format);
}

export function isStreamFormat(name: string): name is StreamFormat {
  return (STREAM_FORMATS as readonly string[]).includes(name);
}

export function isTfeventsName(filePath: string): boolean {
  return /(^|[\\/])events\.out\.tfevents\./.test(filePath) || filePath.endsWith('.tfevents');
}

function firstLine(text: string): string {
  const start = text.search(/\S/);
  if (start < 0) return '';
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
}

/** A Jupyter notebook: `nbformat` and a list of cells (read by notebook.ts, loaded only for one). */
function isNotebook(obj: Record<string, unknown>): boolean {
  return typeof obj.nbformat === 'number' && Array.isArray(obj.cells);
}

/** Which document format a parsed JSON value is, by its shape; undefined for none. */
export function documentFormatOf(doc: unknown): DocumentFormat | undefined {
  if (Array.isArray(doc)) return 'json';
  if (doc === null || typeof doc !== 'object') return undefined;
  const obj = doc as Record<string, unknown>;
  if (Array.isArray(obj.log_history)) return 'hf_trainer_state';
  if (isNotebook(obj)) return 'notebook';
  if (Array.isArray(obj.history) && ('model_name' in obj || 'stage' in obj)) return 'lineage';
  if (isMetricHistory(obj)) return 'keras_history';
  return undefined;
}

const HEADER_CELL = /^[\w .\/:()\[\]@%+\-<>=,']*$/;

/**
 * A CSV header is a line of names split by commas (or tabs) whose next line has as many cells,
 * most of them numbers; a text log line with commas has neither shape.
 */
export function csvDelimiter(text: string): ',' | '\t' | undefined {
  const lines = text.split('\n', 3).map((l) => l.replace(/\r$/, ''));
  const [header, row] = lines;
  if (header === undefined || row === undefined) return undefined;
  for (const delimiter of [',', '\t'] as const) {
    const names = splitCsvLine(header, delimiter);
    const cells = splitCsvLine(row, delimiter);
    if (names.length < 2 || cells.length !== names.length) continue;
    if (!names.every((n) => n.trim() !== '' && HEADER_CELL.test(n)) || names.every((n) => !Number.isNaN(Number(n)))) continue;
    const numeric = cells.filter((c) => c.trim() === '' || !Number.isNaN(Number(c)) || /^-?(nan|inf|infinity)$/i.test(c.trim()));
    if (numeric.length * 2 >= cells.length) return delimiter;
  }
  return undefined;
}

/** Which CSV writer made this header: Lightning, YOLO and Keras each have a tell. */
export function csvFlavour(header: string[]): 'keras_csv' | 'lightning_csv' | 'yolo_csv' | 'csv' {
  const names = header.map((h) => h.trim());
  if (header.some((h) => h !== h.trim()) || names.some((n) => /^(metrics\/mAP|train\/box_loss)/.test(n))) return 'yolo_csv';
  if (names.includes('epoch') && names.includes('step')) return 'lightning_csv';
  if (names[0] === 'epoch' && names.some((n) => n === 'loss' || n === 'val_loss')) return 'keras_csv';
  return 'csv';
}

/**
 * A tailer passes only the head of a file: a pretty-printed document then does not parse, and
 * its name or first keys tell what it is.
 */
function truncatedDocumentFormat(filePath: string, line: string, head: string): DocumentFormat | undefined {
  const base = path.basename(filePath);
  if (base === 'trainer_state.json' || /"log_history"\s*:/.test(head)) return 'hf_trainer_state';
  if (path.extname(base).toLowerCase() === '.ipynb') return 'notebook';
  if (base === 'training_info.json' || (/"history"\s*:/.test(head) && /"model_name"\s*:/.test(head))) return 'lineage';
  if (/^\s*\{\s*"[^"]*"\s*:\s*\[\s*(?:$|[-\d.N"])/.test(head)) return 'keras_history';
  if (line === '[') return 'json';
  return undefined;
}

function tryParse(text: string): unknown {
  try {
    return parsePythonJson(text);
  } catch {
    return undefined;
  }
}

/** The format of a file given its path and content (text decoded as UTF-8). */
export function detectFormat(filePath: string, text: string): FileFormat {
  if (isTfeventsName(filePath)) return 'tfevents';
  const ext = path.extname(filePath).toLowerCase();
  const line = firstLine(text);
  if (line.startsWith('{') || line.startsWith('[')) {
    // A first line that is a whole object is JSON Lines (or a one-line document); otherwise the
    // file is one pretty-printed document. Parsing only the first line keeps big JSONL files cheap.
    const doc = tryParse(line) ?? (ext === '.jsonl' || ext === '.ndjson' ? undefined : tryParse(text));
    const kind = documentFormatOf(doc) ?? truncatedDocumentFormat(filePath, line, text);
    if (kind) return kind;
    // JSON Lines hold objects; a first line in brackets that is no JSON is a log's prefix
    // (`[epoch 1] loss=0.6`, `[2019/06/24 16:19:45 INFO]`), read below as text, and so is a
    // Python dict as the Hugging Face Trainer prints its logs (`{'loss': 2.1, 'epoch': 0.1}`).
    const pythonDict = doc === undefined && /^\{\s*'/.test(line);
    if ((line.startsWith('{') && !pythonDict) || doc !== undefined) return /"iteration"\s*:/.test(line) ? 'detectron2' : 'jsonl';
  }
  const delimiter = csvDelimiter(text.slice(text.search(/\S|$/)));
  if (delimiter) return csvFlavour(splitCsvLine(line, delimiter));
  // The content test needs two columns and a data row; a file named .csv with one column (or only
  // its header so far) is still a table, and read as text it would import nothing without a word.
  if (ext === '.csv' || ext === '.tsv') return csvFlavour(splitCsvLine(line, ext === '.tsv' ? '\t' : ','));
  return 'text';
}
