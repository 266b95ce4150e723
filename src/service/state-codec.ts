import { createHash } from 'node:crypto';

/**
 * Writes an in-memory object graph (a run's context and diagnoser: class instances, maps, sets,
 * typed arrays, shared references) as JSON and reads it back with the same classes, so that a
 * run's state can be restored without replaying its history. Classes are known by name from
 * live objects of them. Functions are not data: an object's function fields (bound handlers)
 * are left out and kept from the fresh object the snapshot is read into; an object of a class
 * with such fields that has no fresh counterpart, or anything else the codec does not know,
 * makes `encode` or `decode` throw, and the caller replays instead.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const TYPED: Record<string, new (values: number[]) => ArrayLike<number>> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Uint8Array,
  Int8Array,
  Int16Array,
  Uint16Array,
};

const number = (n: number): Json => (Number.isFinite(n) ? n : { $n: String(n) });

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/** Encodes `roots` as one graph. */
export function encode(roots: object[]): string {
  const ids = new Map<object, number>();
  const value = (v: unknown): Json => {
    switch (typeof v) {
      case 'number':
        return number(v);
      case 'string':
      case 'boolean':
        return v;
      case 'undefined':
        return { $u: 1 };
      case 'object':
        return v === null ? null : object(v);
      default:
        throw new TypeError(`cannot snapshot a ${typeof v}`);
    }
  };
  const fields = (o: object): Record<string, Json> => {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(o)) if (typeof v !== 'function') out[k] = value(v);
    return out;
  };
  const object = (o: object): Json => {
    const seen = ids.get(o);
    if (seen !== undefined) return { $r: seen };
    const id = ids.size;
    ids.set(o, id);
    if (Array.isArray(o)) return { $a: id, v: o.map(value) };
    if (o instanceof Map) return { $m: id, v: [...o].map(([k, v]) => [value(k), value(v)]) };
    if (o instanceof Set) return { $s: id, v: [...o].map(value) };
    if (ArrayBuffer.isView(o)) {
      const name = o.constructor.name;
      if (!(name in TYPED)) throw new TypeError(`cannot snapshot a ${name}`);
      return { $t: id, c: name, v: Array.from(o as unknown as ArrayLike<number>, number) };
    }
    if (isPlain(o)) return { $o: id, f: fields(o) };
    const name = o.constructor?.name;
    if (!name || ['Date', 'RegExp', 'Promise', 'WeakMap', 'WeakSet'].includes(name)) throw new TypeError(`cannot snapshot a ${name ?? 'object'}`);
    return { $o: id, c: name, f: fields(o) };
  };
  return JSON.stringify(roots.map(object));
}

/** Every class in these graphs, by name, with one object of it: what `decode` gives objects back as. */
export function classesOf(roots: object[]): Map<string, object> {
  const classes = new Map<string, object>();
  const seen = new Set<object>();
  const walk = (v: unknown) => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Map) for (const [k, x] of v) (walk(k), walk(x));
    else if (v instanceof Set || Array.isArray(v)) for (const x of v) walk(x);
    else if (!ArrayBuffer.isView(v)) {
      if (!isPlain(v)) classes.set(v.constructor.name, v);
      for (const x of Object.values(v)) walk(x);
    }
  };
  roots.forEach(walk);
  return classes;
}

/**
 * The shape of these graphs: class names and field names in order. A snapshot taken by code of
 * another shape (rules or context changed) is not restored into this one.
 */
export function shapeOf(roots: object[]): string {
  const parts: string[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown) => {
    if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) return;
    seen.add(v);
    if (v instanceof Map) for (const [k, x] of v) (walk(k), walk(x));
    else if (v instanceof Set || Array.isArray(v)) for (const x of v) walk(x);
    else {
      parts.push(`${isPlain(v) ? '' : v.constructor.name}{${Object.keys(v).join(',')}}`);
      for (const x of Object.values(v)) walk(x);
    }
  };
  roots.forEach(walk);
  return createHash('sha256').update(parts.join(';')).digest('hex').slice(0, 32);
}

/**
 * Reads a graph written by `encode` into `roots`, fresh objects of the same classes: the
 * snapshot's fields replace theirs, and a field of theirs holding an instance of the snapshot's
 * class is read into in turn, so the functions they were built with stay.
 */
export function decode(text: string, roots: object[], classes: Map<string, object>): void {
  const byId: unknown[] = [];
  const value = (j: Json): unknown => {
    if (j === null || typeof j !== 'object') return j;
    if (Array.isArray(j)) throw new TypeError('bad snapshot: a bare array');
    if ('$n' in j) return Number(j.$n);
    if ('$u' in j) return undefined;
    if ('$r' in j) {
      if (!(Number(j.$r) in byId)) throw new TypeError('bad snapshot: reference before its object');
      return byId[j.$r as number];
    }
    return object(j, undefined);
  };
  const object = (j: { [k: string]: Json }, into: object | undefined): unknown => {
    const items = j.v as Json[];
    if ('$a' in j) {
      const a: unknown[] = [];
      byId[j.$a as number] = a;
      for (const x of items) a.push(value(x));
      return a;
    }
    if ('$m' in j) {
      const m = new Map();
      byId[j.$m as number] = m;
      for (const [k, v] of items as Json[][]) m.set(value(k), value(v));
      return m;
    }
    if ('$s' in j) {
      const s = new Set();
      byId[j.$s as number] = s;
      for (const x of items) s.add(value(x));
      return s;
    }
    if ('$t' in j) {
      const Typed = TYPED[j.c as string];
      if (!Typed) throw new TypeError(`bad snapshot: ${String(j.c)}`);
      const t = new Typed(items.map((x) => value(x) as number));
      byId[j.$t as number] = t;
      return t;
    }
    if (!('$o' in j)) throw new TypeError('bad snapshot: an unknown node');
    let o = into;
    if (!o) {
      const sample = j.c === undefined ? {} : classes.get(j.c as string);
      if (!sample) throw new TypeError(`bad snapshot: unknown class ${String(j.c)}`);
      if (Object.values(sample).some((v) => typeof v === 'function')) throw new TypeError(`bad snapshot: a ${String(j.c)} can only be read into a fresh one`);
      o = Object.create(Object.getPrototypeOf(sample)) as object;
    }
    byId[j.$o as number] = o;
    const target = o as Record<string, unknown>;
    for (const [k, v] of Object.entries(j.f as Record<string, Json>)) {
      const current = target[k];
      const node = v !== null && typeof v === 'object' && !Array.isArray(v) && '$o' in v ? v : undefined;
      const sameClass = node && typeof current === 'object' && current !== null && !isPlain(current) && current.constructor.name === node.c;
      target[k] = sameClass ? object(node, current) : value(v);
    }
    return o;
  };
  const graph = JSON.parse(text) as Array<{ [k: string]: Json }>;
  if (!Array.isArray(graph) || graph.length !== roots.length) throw new TypeError('bad snapshot: wrong roots');
  graph.forEach((j, i) => object(j, roots[i]));
}
