import type { Context } from 'hono';
import { stringifyJson, stringifyOpen } from '../domain/values.ts';
import { LoopBudget } from '../domain/loop-budget.ts';
import type { SeriesOut } from '../service/service.ts';
import { sendChunks } from './chunked.ts';

/**
 * `{"series": [...]}` written as it is read: a page of points at a time, with turns of the event
 * loop between pages, so a whole big series neither sits in memory nor holds up other requests.
 */
export function streamSeries(c: Context, series: SeriesOut[]): Promise<Response> {
  return sendChunks(c, seriesChunks(series), { 'content-type': 'application/json; charset=utf-8' });
}

async function* seriesChunks(series: SeriesOut[]): AsyncGenerator<string> {
  const budget = new LoopBudget();
  yield '{"series":[';
  for (const [n, { pages, ...head }] of series.entries()) {
    yield `${n ? ',' : ''}${stringifyOpen(head)},"points":[`;
    let first = true;
    for await (const page of pages) {
      if (!page.length) continue;
      yield `${first ? '' : ','}${page.map(stringifyJson).join(',')}`;
      first = false;
      await budget.tick();
    }
    yield ']}';
  }
  yield ']}';
}
