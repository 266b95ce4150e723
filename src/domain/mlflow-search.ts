import { AnalystError } from './errors.ts';

/**
 * MLflow's search grammar (`filter` and `order_by` of runs/search and experiments/search):
 * `metrics.loss < 0.5 AND params.lr = '0.01' AND tags.\`mlflow.runName\` LIKE 'a%'`.
 * Written here rather than taken from a general SQL-WHERE parser: MLflow's keys carry an entity
 * prefix, may be backquoted or double-quoted and hold dots, and each entity allows its own
 * comparators, which such parsers know nothing of.
 */

export type Entity = 'metric' | 'param' | 'tag' | 'attribute';
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Key {
  entity: Entity;
  key: string;
}

export interface Condition extends Key {
  op: Comparator;
  value: string | number | string[];
}

export interface OrderBy extends Key {
  ascending: boolean;
}

/** What a search compares against: one run or one experiment, flattened. */
export interface Searchable {
  attributes: Record<string, string | number | null | undefined>;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** What each search allows; MLflow refuses the rest, and so do we, rather than match nothing. */
export interface SearchKind {
  entities: readonly Entity[];
  /** Attribute names and whether they compare as numbers. */
  attributes: Record<string, 'string' | 'number'>;
  /** Other spellings MLflow accepts for an attribute. */
  aliases?: Record<string, string>;
}

export const RUN_SEARCH: SearchKind = {
  entities: ['metric', 'param', 'tag', 'attribute'],
  attributes: {
    run_id: 'string',
    run_name: 'string',
    status: 'string',
    user_id: 'string',
    artifact_uri: 'string',
    lifecycle_stage: 'string',
    start_time: 'number',
    end_time: 'number',
  },
  aliases: { run_uuid: 'run_id', created: 'start_time', Created: 'start_time' },
};

export const EXPERIMENT_SEARCH: SearchKind = {
  entities: ['tag', 'attribute'],
  attributes: { name: 'string', experiment_id: 'string', creation_time: 'number', last_update_time: 'number', lifecycle_stage: 'string' },
};

export const LOGGED_MODEL_SEARCH: SearchKind = {
  entities: ['tag', 'attribute'],
  attributes: { name: 'string', model_id: 'string', status: 'string', model_type: 'string', source_run_id: 'string', creation_timestamp_ms: 'number', last_updated_timestamp_ms: 'number' },
  aliases: { creation_time: 'creation_timestamp_ms', last_updated_timestamp: 'last_updated_timestamp_ms' },
};

const PREFIXES: Record<string, Entity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

const invalid = (message: string) => new AnalystError('invalid_body', message);

type Token = { kind: 'word' | 'string' | 'number' | 'op' | 'punct'; text: string; at: number };

const TOKEN = /\s*(?:(`[^`]*`)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])|(!=|<=|>=|<>|=|<|>)|([(),])|([A-Za-z_][\w.]*))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const from = TOKEN.lastIndex;
    if (/^\s*$/.test(text.slice(from))) break;
    const m = TOKEN.exec(text);
    if (!m) throw invalid(`cannot read the search filter at character ${from + 1}: '${text.slice(from, from + 20).trim()}'`);
    // Where the token itself starts, past the blanks before it: a quoted key must follow its prefix directly.
    const at = m.index + m[0].search(/\S/);
    const [, backquoted, quoted, number, op, punct, word] = m;
    if (backquoted !== undefined) tokens.push({ kind: 'word', text: backquoted, at });
    else if (quoted !== undefined) tokens.push({ kind: 'string', text: quoted.slice(1, -1).replace(/\\(.)/g, '$1'), at });
    else if (number !== undefined) tokens.push({ kind: 'number', text: number, at });
    else if (op !== undefined) tokens.push({ kind: 'op', text: op === '<>' ? '!=' : op, at });
    else if (punct !== undefined) tokens.push({ kind: 'punct', text: punct, at });
    else tokens.push({ kind: 'word', text: word!, at });
  }
  return tokens;
}

const unquote = (s: string) => (s.startsWith('`') || s.startsWith('"') ? s.slice(1, -1) : s);

/** `metrics.loss`, ``tags.`mlflow.runName` ``, `params."a b"`, `status`: an entity and its key. */
function readKey(word: string, kind: SearchKind, quotedKey?: string): Key {
  let entity: Entity = 'attribute';
  let key = word;
  const dot = word.indexOf('.');
  if (quotedKey !== undefined) {
    const prefix = word.replace(/\.$/, '').toLowerCase();
    if (!(prefix in PREFIXES)) throw invalid(`unknown search key prefix '${word}'`);
    entity = PREFIXES[prefix]!;
    key = quotedKey;
  } else if (word.startsWith('`')) {
    key = unquote(word);
  } else if (dot > 0) {
    const prefix = word.slice(0, dot).toLowerCase();
    if (!(prefix in PREFIXES)) throw invalid(`unknown search key '${word}': keys start with metrics., params., tags. or attributes.`);
    entity = PREFIXES[prefix]!;
    key = unquote(word.slice(dot + 1));
  }
  if (!key) throw invalid(`an empty key in '${word}'`);
  if (!kind.entities.includes(entity)) throw invalid(`this search cannot filter or order on ${entity}s ('${word}')`);
  if (entity === 'attribute') {
    key = kind.aliases?.[key] ?? key;
    if (!(key in kind.attributes)) throw invalid(`unknown attribute '${key}': one of ${Object.keys(kind.attributes).join(', ')}`);
  }
  return { entity, key };
}

class Reader {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly text: string) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw invalid(`the search filter '${this.text}' ends where ${what} was expected`);
    return t;
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  /** A key, with a quoted key after its prefix (`tags."a b"`) read as one. */
  key(kind: SearchKind): Key {
    const t = this.next('a key');
    if (t.kind !== 'word') throw invalid(`expected a key at character ${t.at + 1}, found '${t.text}'`);
    const after = this.peek();
    if (t.text.endsWith('.') && after && (after.kind === 'word' || after.kind === 'string') && after.at === t.at + t.text.length) {
      this.i++;
      return readKey(t.text, kind, unquote(after.kind === 'string' ? after.text : after.text));
    }
    return readKey(t.text, kind);
  }
}

const STRING_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMBER_OPS: Comparator[] = ['=', '!=', '<', '<=', '>', '>='];

function comparator(r: Reader): Comparator {
  const t = r.next('a comparator');
  if (t.kind === 'op') return t.text as Comparator;
  const word = t.kind === 'word' ? t.text.toUpperCase() : '';
  if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') return word;
  if (word === 'NOT' && r.peek()?.text.toUpperCase() === 'IN') {
    r.next('IN');
    return 'NOT IN';
  }
  throw invalid(`expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN) at character ${t.at + 1}, found '${t.text}'`);
}

function condition(r: Reader, kind: SearchKind): Condition {
  const key = r.key(kind);
  const op = comparator(r);
  const numeric = key.entity === 'metric' || (key.entity === 'attribute' && kind.attributes[key.key] === 'number');
  const allowed = numeric ? NUMBER_OPS : STRING_OPS;
  if (!allowed.includes(op)) throw invalid(`'${op}' cannot compare ${key.entity === 'attribute' ? key.key : `${key.entity}s`}: use ${allowed.join(', ')}`);
  if (op === 'IN' || op === 'NOT IN') {
    if (r.next('(').text !== '(') throw invalid(`${op} takes a parenthesised list of quoted strings`);
    const values: string[] = [];
    for (;;) {
      const v = r.next('a quoted string');
      if (v.kind !== 'string') throw invalid(`${op} takes quoted strings, found '${v.text}'`);
      values.push(v.text);
      const sep = r.next(') or ,');
      if (sep.text === ')') break;
      if (sep.text !== ',') throw invalid(`expected ',' or ')' in the ${op} list, found '${sep.text}'`);
    }
    return { ...key, op, value: values };
  }
  const v = r.next('a value');
  if (numeric) {
    if (v.kind !== 'number') throw invalid(`${key.entity === 'metric' ? `metric '${key.key}'` : key.key} compares with a number, found '${v.text}'`);
    return { ...key, op, value: Number(v.text) };
  }
  if (v.kind !== 'string') throw invalid(`${key.entity === 'attribute' ? key.key : `${key.entity} '${key.key}'`} compares with a quoted string, found '${v.text}'`);
  return { ...key, op, value: v.text };
}

/** A filter: conditions joined by AND. An empty filter is no condition. Unreadable input is a 400, never "match all". */
export function parseFilter(text: string | undefined, kind: SearchKind): Condition[] {
  if (!text?.trim()) return [];
  const r = new Reader(tokenize(text), text);
  const out = [condition(r, kind)];
  while (!r.done()) {
    const and = r.next('AND');
    if (and.kind !== 'word' || and.text.toUpperCase() !== 'AND') {
      throw invalid(`expected AND at character ${and.at + 1}, found '${and.text}' (MLflow's filter joins conditions with AND only)`);
    }
    out.push(condition(r, kind));
  }
  return out;
}

/** `metrics.loss DESC`, `start_time`, ``tags.`a b` ASC``. */
export function parseOrderBy(clauses: readonly string[] | undefined, kind: SearchKind): OrderBy[] {
  return (clauses ?? []).map((clause) => {
    const r = new Reader(tokenize(clause), clause);
    const key = r.key(kind);
    let ascending = true;
    if (!r.done()) {
      const dir = r.next('ASC or DESC').text.toUpperCase();
      if (dir !== 'ASC' && dir !== 'DESC') throw invalid(`order_by '${clause}': expected ASC or DESC, found '${dir}'`);
      ascending = dir === 'ASC';
    }
    if (!r.done()) throw invalid(`order_by '${clause}' has more than a key and a direction`);
    return { ...key, ascending };
  });
}

/**
 * SQL LIKE: `%` any run of characters, `_` one character. Matched by the greedy wildcard walk
 * (at most text × pattern steps), not a regular expression, which many `%` make backtrack
 * exponentially on long values.
 */
export function like(text: string, pattern: string, caseless: boolean): boolean {
  const t = caseless ? [...text.toLowerCase()] : [...text];
  const p = caseless ? [...pattern.toLowerCase()] : [...pattern];
  let ti = 0;
  let pi = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '_' || (p[pi] !== '%' && p[pi] === t[ti]))) {
      ti++;
      pi++;
    } else if (pi < p.length && p[pi] === '%') {
      star = pi++;
      resume = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '%') pi++;
  return pi === p.length;
}

function valueOf(item: Searchable, key: Key): string | number | null | undefined {
  if (key.entity === 'metric') return item.metrics[key.key];
  if (key.entity === 'param') return item.params[key.key];
  if (key.entity === 'tag') return item.tags[key.key];
  return item.attributes[key.key];
}

/** As MLflow: an item without the key never matches, not even `!=`. */
export function matches(item: Searchable, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => {
    const v = valueOf(item, c);
    if (v === undefined || v === null) return false;
    switch (c.op) {
      case '=':
        return v === c.value;
      case '!=':
        return v !== c.value;
      case '<':
        return v < c.value;
      case '<=':
        return v <= c.value;
      case '>':
        return v > c.value;
      case '>=':
        return v >= c.value;
      case 'LIKE':
        return like(String(v), c.value as string, false);
      case 'ILIKE':
        return like(String(v), c.value as string, true);
      case 'IN':
        return (c.value as string[]).includes(String(v));
      case 'NOT IN':
        return !(c.value as string[]).includes(String(v));
    }
  });
}

/** MLflow's order: the given keys, items lacking a key last, then the default order the caller gives. */
export function sortBy<T>(items: T[], order: readonly OrderBy[], view: (t: T) => Searchable, fallback: (a: T, b: T) => number): T[] {
  return [...items].sort((a, b) => {
    for (const o of order) {
      const x = valueOf(view(a), o);
      const y = valueOf(view(b), o);
      const xMissing = x === undefined || x === null || Number.isNaN(x);
      const yMissing = y === undefined || y === null || Number.isNaN(y);
      if (xMissing || yMissing) {
        if (xMissing !== yMissing) return xMissing ? 1 : -1;
        continue;
      }
      if (x !== y) return (x! < y! ? -1 : 1) * (o.ascending ? 1 : -1);
    }
    return fallback(a, b);
  });
}

/** MLflow's page token: base64 of `{"offset": N}`, spelt as MLflow's server spells it. */
export function pageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`).toString('base64');
}

export function readPageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset;
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through: not a token this server gave
  }
  throw new AnalystError('invalid_body', `invalid page token '${token.slice(0, 100)}': not one this server gave`);
}

/** One page of a sorted list, with the token for the next when the page is full, as MLflow does. */
export function page<T>(items: T[], maxResults: number, token: string | undefined): { items: T[]; next?: string } {
  const from = readPageToken(token);
  const slice = items.slice(from, from + maxResults);
  return { items: slice, ...(slice.length === maxResults ? { next: pageToken(from + maxResults) } : {}) };
}
