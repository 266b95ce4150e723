// Tables printed a row per epoch under a header of names: fastai's `epoch train_loss valid_loss
// accuracy time`, boxed tables (`│ Epoch │ Train Loss │ Val Loss │`) that many loops print, and
// spaCy's `E  #  LOSS NER  ENTS_F  SCORE`; and boxed name / value rows, as Lightning prints its
// validation and test summaries.
import { canonicalOf } from '../../domain/aliases.ts';
import { normaliseName, isPositionName } from './names.ts';
import { readNumber } from './numbers.ts';
import type { EventInput } from '../../domain/events.ts';
import { metricsHere, noteEpoch, putValue, type LineParser, type LineParseState } from './state.ts';

const KIND = 'columns';
const INDEXED = 'dataframe';
/** Box-drawing or pipe column separators; without them, runs of spaces separate the columns. */
const BOXED = /[│┃|]/;
const CELL_SPLIT = /\s*[│┃|]\s*/;
/** A header cell: a name, not a number (`Train Loss`, `valid_loss`, `acc@1`). */
const NAME_CELL = /^[A-Za-z][\w ./@()-]*$/;
/** A duration as fastai prints an epoch's (`00:42`, `1:02:03`). */
const CLOCK = /^(?:(\d+):)?(\d+):(\d\d)$/;
/** A name that says its split. */
const SPLIT = /^(?:train|val|test)_/;
/** What fastai prints where a value is missing. */
const MISSING = new Set(['#na#', '-', '']);

function cellsOf(line: string): string[] {
  const text = line.trim();
  if (!BOXED.test(text)) return text.split(/\s+/);
  return text.split(CELL_SPLIT).filter((c, i, all) => c !== '' || (i > 0 && i < all.length - 1));
}

function seconds(cell: string): number | undefined {
  const m = CLOCK.exec(cell);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/**
 * A header: two or more name cells, the first of them the epoch or the step (the Hugging Face
 * Trainer's notebook table: `Step | Training Loss | Validation Loss`), and at least one a loss or
 * an accuracy the alias table knows. The position column is what makes a line of words a table
 * header rather than prose.
 */
function headerColumns(line: string): { columns: string[]; indexed: boolean } | undefined {
  const cells = cellsOf(line);
  if (cells.length < 2 || !cells.every((c) => NAME_CELL.test(c))) return undefined;
  const names = cells.map(normaliseName);
  if (!names.some((n) => canonicalOf(n) !== undefined && !isPositionName(n))) return undefined;
  // A pandas DataFrame printout (`df`, `history_df.tail()`): the header is indented over the
  // index column, and each row starts with its index.
  const indexed = PANDAS_HEADER.test(line);
  if (!indexed && names[0] !== 'epoch' && names[0] !== 'step') return undefined;
  // fastai prints its metrics after the validation loss, computed on the validation set, under
  // bare names (`accuracy`, `error_rate`): a name without a split after a validation column is
  // one, unless the table also has that name with its split (`loss val_loss acc val_acc`).
  let validation = false;
  const columns = names.map((n) => {
    if (SPLIT.test(n)) {
      validation = n.startsWith('val_');
      return n;
    }
    return validation && n !== 'time' && !names.includes(`val_${n}`) ? `val_${n}` : n;
  });
  return { columns, indexed };
}

/** Leading blanks, then names only, none of them boxed: how pandas prints a DataFrame's header. */
const PANDAS_HEADER = /^ {2,}[A-Za-z][^|│┃]*$/;

/**
 * A boxed row of a name and a value: the summary Lightning prints after validating or testing
 * (`│ val_loss │ 0.5123 │` under `┃ Validate metric ┃ DataLoader 0 ┃`).
 */
function boxedPair(line: string): [string, number] | undefined {
  if (!BOXED.test(line)) return undefined;
  const cells = cellsOf(line);
  if (cells.length !== 2 || !NAME_CELL.test(cells[0])) return undefined;
  const value = readNumber(cells[1]);
  return value === undefined ? undefined : [normaliseName(cells[0]), value];
}

/**
 * spaCy's `train` table (https://spacy.io/api/cli#train): the epoch (`E`), the step (`#`), then
 * cells two or more spaces apart. `LOSS <component>` columns are training losses summed since the
 * last evaluation; every other column is a score on the development set.
 */
const SPACY_HEADER = /^\s*E\s+#\s{2,}\S/;

function spacyColumns(line: string): string[] | undefined {
  if (!SPACY_HEADER.test(line)) return undefined;
  const cells = line.trim().split(/\s{2,}/).slice(1);
  // `E    #` may be only spaces apart wider than one: the first cell then holds both.
  if (cells[0] === '#') cells.shift();
  if (cells.length < 2 || !cells.every((c) => NAME_CELL.test(c))) return undefined;
  return ['epoch', 'step', ...cells.map((c) => (/^loss\b/i.test(c) ? normaliseName(c) : `val_${normaliseName(c)}`))];
}

export const parseColumnTable: LineParser = (line, state) => {
  const spacy = spacyColumns(line);
  const header = spacy ? { columns: spacy, indexed: false } : headerColumns(line);
  if (header) {
    state.table = { kind: header.indexed ? INDEXED : KIND, columns: header.columns };
    return [];
  }
  const table = state.table;
  if (table?.kind === INDEXED) {
    // An indented header whose rows carry no index (a table printed with a margin) reads as a plain one.
    const row = indexedRow(line, table.columns, state);
    if (row || (table.columns[0] !== 'epoch' && table.columns[0] !== 'step')) return row;
  } else if (table?.kind !== KIND) {
    const pair = boxedPair(line);
    if (!pair) return undefined;
    const values: Record<string, number> = {};
    putValue(values, pair[0], pair[1]);
    return [metricsHere(state, values)];
  }
  const cells = cellsOf(line);
  if (cells.length !== table!.columns.length) return undefined;
  const position = readNumber(cells[0]);
  if (position === undefined || !Number.isInteger(position) || position < 0) return undefined;
  // A table of both positions (spaCy's epoch then step) reads the step from its second column.
  const stepped = table!.columns[0] === 'epoch' && table!.columns[1] === 'step';
  const step = stepped ? readNumber(cells[1]) : undefined;
  if (stepped && (step === undefined || !Number.isInteger(step) || step < 0)) return undefined;
  const values: Record<string, number> = {};
  for (let i = stepped ? 2 : 1; i < cells.length; i++) {
    const cell = cells[i];
    if (MISSING.has(cell.toLowerCase())) continue;
    const duration = seconds(cell);
    // fastai's `time` column is how long the epoch took.
    if (duration !== undefined) {
      if (table.columns[i] === 'time') putValue(values, 'epoch_time', duration);
      continue;
    }
    const value = readNumber(cell);
    // A cell that is no number means the line is no row of this table.
    if (value === undefined) return undefined;
    putValue(values, table.columns[i], value);
  }
  const at =
    table.columns[0] === 'step'
      ? { step: (state.step = position) }
      : { epoch: noteEpoch(state, position), ...(step === undefined ? {} : { step: (state.step = step) }) };
  return Object.keys(values).length > 0 ? [metricsHere(state, values, at)] : [];
};

/** A DataFrame row: its index (a row number, no position in training), then a value per column. */
function indexedRow(line: string, columns: string[], state: LineParseState): EventInput[] | undefined {
  const cells = cellsOf(line);
  if (cells.length !== columns.length + 1 || !/^\d+$/.test(cells[0])) return undefined;
  const values: Record<string, number> = {};
  let epoch: number | undefined;
  let step: number | undefined;
  for (let i = 1; i < cells.length; i++) {
    if (MISSING.has(cells[i].toLowerCase()) || cells[i].toLowerCase() === 'nan') continue;
    const value = readNumber(cells[i]);
    if (value === undefined) return undefined;
    const column = columns[i - 1];
    if (column === 'epoch' && Number.isInteger(value)) epoch = value;
    else if (column === 'step' && Number.isInteger(value) && value >= 0) step = value;
    else putValue(values, column, value);
  }
  if (Object.keys(values).length === 0) return [];
  if (epoch !== undefined) noteEpoch(state, epoch);
  return [metricsHere(state, values, step === undefined ? { epoch } : { epoch, step })];
}
