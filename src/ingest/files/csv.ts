// CSV with a header row: Keras CSVLogger, Lightning metrics.csv (sparse rows), YOLO results.csv, generic.
import type { EventInput } from '../../domain/events.ts';
import { LineReader } from './reader.ts';
import { recordToMetrics } from './records.ts';
import { csvColumns } from './csv-header.ts';

/** Splits one CSV line, honouring double-quoted cells ("a,b" and "" escapes) as pandas writes them. */
export function splitCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/**
 * One metrics event per row with only its non-empty cells: Lightning writes train and validation
 * metrics on separate sparse rows, and an empty cell means "not logged here", not NaN.
 * YOLO pads column names with spaces, so names and cells are trimmed. `file` names the file,
 * which holds the metric's name in a TensorBoard download (see csvColumns).
 */
export function createCsvReader(format: string, file?: string): LineReader {
  let header: Array<string | null> | undefined;
  let delimiter = ',';
  return new LineReader(format, (line, lineNo, out: EventInput[], tally) => {
    if (line.trim() === '') return;
    if (!header) {
      delimiter = !line.includes(',') && line.includes('\t') ? '\t' : ',';
      header = csvColumns(
        splitCsvLine(line, delimiter).map((h) => h.trim()),
        file,
      );
      return;
    }
    const cells = splitCsvLine(line, delimiter);
    if (cells.length > header.length) {
      tally.skip({ code: 'bad_row', line: lineNo, message: `${cells.length} cells for ${header.length} columns`, text: line });
      return;
    }
    const record: Record<string, string> = {};
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i].trim();
      const name = header[i];
      if (cell !== '' && name !== null) record[name] = cell;
    }
    const event = recordToMetrics(record);
    if (event) out.push(event);
  });
}
