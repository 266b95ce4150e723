import { describe, expect, it } from 'vitest';
import { EXPERIMENT_SEARCH, RUN_SEARCH, like, matches, page, parseFilter, parseOrderBy, readPageToken, sortBy, type Searchable } from '../../src/domain/mlflow-search.ts';

const run = (over: Partial<Searchable> = {}): Searchable => ({
  attributes: { run_id: 'r1', run_name: 'resnet-a', status: 'FINISHED', start_time: 100, ...over.attributes },
  metrics: { loss: 0.4, ...over.metrics },
  params: { lr: '0.01', ...over.params },
  tags: { team: 'vision', 'mlflow.parentRunId': 'p1', ...over.tags },
});

describe('MLflow filter grammar', () => {
  it('reads each entity, comparator and key quoting', () => {
    expect(parseFilter("metrics.loss < 0.5 and params.lr = '0.01' AND tags.`mlflow.parentRunId` != \"x\"", RUN_SEARCH)).toEqual([
      { entity: 'metric', key: 'loss', op: '<', value: 0.5 },
      { entity: 'param', key: 'lr', op: '=', value: '0.01' },
      { entity: 'tag', key: 'mlflow.parentRunId', op: '!=', value: 'x' },
    ]);
    expect(parseFilter('tags.mlflow.parentRunId = \'p\'', RUN_SEARCH)).toEqual([{ entity: 'tag', key: 'mlflow.parentRunId', op: '=', value: 'p' }]);
    expect(parseFilter('tags."a b" ILIKE \'%X%\'', RUN_SEARCH)).toEqual([{ entity: 'tag', key: 'a b', op: 'ILIKE', value: '%X%' }]);
    expect(parseFilter("attributes.run_id IN ('a', 'b') AND run_name LIKE 'res%'", RUN_SEARCH)).toEqual([
      { entity: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { entity: 'attribute', key: 'run_name', op: 'LIKE', value: 'res%' },
    ]);
    expect(parseFilter('metrics.`val loss`>=1e-3 AND attributes.start_time > 5', RUN_SEARCH)).toEqual([
      { entity: 'metric', key: 'val loss', op: '>=', value: 0.001 },
      { entity: 'attribute', key: 'start_time', op: '>', value: 5 },
    ]);
    expect(parseFilter('  ', RUN_SEARCH)).toEqual([]);
    expect(parseFilter("name LIKE 'search%' AND tags.owner = 'me'", EXPERIMENT_SEARCH)).toHaveLength(2);
  });

  it.each([
    ['metrics.loss <', /ends where a value/],
    ["metrics.loss < 'low'", /number/],
    ['params.lr = 0.01', /quoted string/],
    ["metrics.loss LIKE '0%'", /cannot compare/],
    ["params.lr < '1'", /cannot compare/],
    ["metrics.loss < 1 OR metrics.loss > 2", /AND/],
    ["foo.bar = 'x'", /unknown search key/],
    ["attributes.colour = 'red'", /unknown attribute/],
    ["params.lr = '0.01", /cannot read/],
    ["params.lr IN 'a'", /parenthesised/],
    ['garbage', /unknown attribute/],
    ['run_name', /ends where a comparator/],
    ["run_name ~ 'x'", /cannot read/],
  ])('refuses %j with a reason', (filter, reason) => {
    expect(() => parseFilter(filter, RUN_SEARCH)).toThrow(reason);
    try {
      parseFilter(filter, RUN_SEARCH);
    } catch (err: any) {
      expect(err.code).toBe('invalid_body');
    }
  });

  it('refuses metrics and params in experiment searches', () => {
    expect(() => parseFilter('metrics.loss < 1', EXPERIMENT_SEARCH)).toThrow(/cannot filter/);
  });

  it('matches as MLflow does: a missing key never matches, LIKE is case-sensitive and ILIKE not', () => {
    const r = run();
    const m = (f: string) => matches(r, parseFilter(f, RUN_SEARCH));
    expect(m('metrics.loss < 0.5')).toBe(true);
    expect(m('metrics.loss >= 0.5')).toBe(false);
    expect(m('metrics.missing != 1')).toBe(false);
    expect(m("params.missing != 'x'")).toBe(false);
    expect(m("params.lr = '0.01'")).toBe(true);
    expect(m("params.lr = '0.010'")).toBe(false);
    expect(m("run_name LIKE 'res%'")).toBe(true);
    expect(m("run_name LIKE 'RES%'")).toBe(false);
    expect(m("run_name ILIKE 'RES%-_'")).toBe(true);
    expect(m("run_name LIKE 'res.%'")).toBe(false);
    expect(m("tags.team IN ('nlp', 'vision')")).toBe(true);
    expect(m("tags.team NOT IN ('nlp', 'vision')")).toBe(false);
    expect(m("attributes.status = 'FINISHED' AND tags.team = 'nlp'")).toBe(false);
  });

  it('matches LIKE patterns without backtracking blow-ups', () => {
    expect(like('resnet-a', 'res%', false)).toBe(true);
    expect(like('resnet-a', '%net%', false)).toBe(true);
    expect(like('resnet-a', 'res_et-_', false)).toBe(true);
    expect(like('resnet-a', 'res_et-', false)).toBe(false);
    expect(like('abc', '%%', false)).toBe(true);
    expect(like('', '%', false)).toBe(true);
    expect(like('', '_', false)).toBe(false);
    expect(like('a.b', 'a.b', false)).toBe(true);
    expect(like('axb', 'a.b', false)).toBe(false);
    expect(like('ABC', 'a%c', true)).toBe(true);
    // A pattern a regular expression would take ages over: answered in one pass.
    expect(like('a'.repeat(8000), `${'%a'.repeat(30)}%b`, false)).toBe(false);
  });

  it('orders by the keys given, items lacking a key last, then by the fallback', () => {
    const items = [run({ attributes: { run_id: 'a' }, metrics: { loss: 0.9 } }), run({ attributes: { run_id: 'b' }, metrics: { loss: 0.2 } }), { ...run({ attributes: { run_id: 'c' } }), metrics: {} }];
    const ids = (order: string[]) => sortBy(items, parseOrderBy(order, RUN_SEARCH), (x) => x, (x, y) => String(x.attributes.run_id).localeCompare(String(y.attributes.run_id))).map((x) => x.attributes.run_id);
    expect(ids(['metrics.loss ASC'])).toEqual(['b', 'a', 'c']);
    expect(ids(['metrics.loss DESC'])).toEqual(['a', 'b', 'c']);
    expect(ids(['metrics.loss'])).toEqual(['b', 'a', 'c']);
    expect(ids([])).toEqual(['a', 'b', 'c']);
    expect(() => parseOrderBy(['metrics.loss UP'], RUN_SEARCH)).toThrow(/ASC or DESC/);
  });

  it("pages with MLflow's tokens, giving one whenever a page is full", () => {
    const items = [1, 2, 3];
    const first = page(items, 1, undefined);
    expect(first.items).toEqual([1]);
    expect(first.next).toBe('eyJvZmZzZXQiOiAxfQ==');
    const third = page(items, 1, page(items, 1, first.next).next);
    expect(third.items).toEqual([3]);
    expect(page(items, 1, third.next)).toEqual({ items: [] });
    expect(page(items, 5, undefined)).toEqual({ items: [1, 2, 3] });
    expect(readPageToken('eyJvZmZzZXQiOiAyfQ==')).toBe(2);
    expect(() => readPageToken('abc')).toThrow(/page token/);
    expect(() => readPageToken(Buffer.from('{"offset":-1}').toString('base64'))).toThrow(/page token/);
  });
});
