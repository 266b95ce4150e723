import type { RunListQuery } from '../../domain/runs.ts';

/** Newest first: by creation time, then by insertion order for runs created in the same millisecond. */
export const NEWEST = 'ORDER BY created_at DESC, rowid DESC';

/** The runs table's columns as a Run reads them (not the insertion order). */
export const RUN_COLUMNS = `runs.id, runs.project, runs.name, runs.status, runs.config, runs.meta, runs.tags, runs.total_epochs,
  runs.total_steps, runs.stage, runs.dataset, runs.base_model, runs.parent_run, runs.created_at, runs.updated_at, runs.finished_at,
  runs.last_seq, runs.note, runs.archived_at, runs.last_event_at`;

/** Positional parameters gathered as a statement is written. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The list's WHERE clause: the same filters as the SQLite engine's, tags and config read as JSON. */
export function listWhere(query: RunListQuery, p: Params): string {
  const where: string[] = [];
  if (query.project) where.push(`project = ${p.add(query.project)}`);
  if (query.name) where.push(`name = ${p.add(query.name)}`);
  if (query.status) where.push(`status = ${p.add(query.status)}`);
  for (const tag of query.tag) {
    const eq = tag.indexOf('=');
    if (eq < 0) where.push(`jsonb_exists(tags::jsonb, ${p.add(tag)})`);
    else where.push(`tags::jsonb ->> ${p.add(tag.slice(0, eq))} = ${p.add(tag.slice(eq + 1))}`);
  }
  for (const word of query.q ?? []) {
    const w = p.add(word);
    where.push(`(strpos(lower(name), ${w}) > 0 OR strpos(lower(project), ${w}) > 0 OR strpos(lower(tags), ${w}) > 0 OR strpos(lower(config), ${w}) > 0)`);
  }
  if (query.archived === false) where.push('archived_at IS NULL');
  else if (query.archived === 'only') where.push('archived_at IS NOT NULL');
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

/**
 * The list's sort as a lateral join giving each run its sort value (`k`) and an ORDER BY over it.
 * A config key or metric is read per row from that row's JSON or through the series' unique key;
 * runs without the value come last either way, then the newest first. Config values order as
 * SQLite's json_extract orders them: numbers (and booleans as 0 and 1) before strings before
 * objects and arrays.
 */
export function listOrder(sort: string | undefined, p: Params): { join: string; order: string } {
  if (!sort) return { join: '', order: NEWEST };
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const dir = desc ? 'DESC' : 'ASC';
  const then = 'created_at DESC, rowid DESC';
  const column: Record<string, string> = {
    created: 'created_at',
    updated: 'updated_at',
    name: 'lower(name) COLLATE "C"',
    project: 'lower(project) COLLATE "C"',
    status: 'status COLLATE "C"',
  };
  if (Object.hasOwn(column, key)) return { join: '', order: `ORDER BY ${column[key]} ${dir}, ${then}` };
  const room = key.slice(0, key.indexOf('.'));
  const name = key.slice(room.length + 1);
  if (room === 'summary') {
    return {
      join: `LEFT JOIN LATERAL (SELECT x.value AS v FROM series s JOIN samples x ON x.series = s.id AND x.i = s.count - 1
               WHERE s.run = runs.id AND s.name = ${p.add(name)}) k ON true`,
      order: `ORDER BY k.v IS NULL, k.v ${dir}, ${then}`,
    };
  }
  // A dotted key is a top-level key with dots in it, or else a nested one, as flattened configs name them.
  const value = `COALESCE(NULLIF(runs.config::jsonb -> ${p.add(name)}, 'null'), NULLIF(runs.config::jsonb #> ${p.add(name.split('.'))}::text[], 'null'))`;
  return {
    join: `CROSS JOIN LATERAL (SELECT v, jsonb_typeof(v) AS t FROM (SELECT ${value} AS v) c) k`,
    order: `ORDER BY k.v IS NULL,
      CASE k.t WHEN 'number' THEN 0 WHEN 'boolean' THEN 0 WHEN 'string' THEN 1 ELSE 2 END ${dir},
      CASE k.t WHEN 'number' THEN (k.v #>> '{}')::float8 WHEN 'boolean' THEN CASE WHEN k.v = 'true' THEN 1 ELSE 0 END END ${dir},
      (k.v #>> '{}') COLLATE "C" ${dir}, ${then}`,
  };
}
