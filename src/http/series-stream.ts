import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { stringifyJson } from '../domain/values.ts';
import type { SeriesOut } from '../service/service.ts';

/**
 * `{"series": [...]}` written as it is read: a page of points at a time, with a turn of the event
 * loop between pages, so a whole big series neither sits in memory nor holds up other requests.
 */
export function streamSeries(c: Context, series: SeriesOut[]): Response {
  c.header('content-type', 'application/json; charset=utf-8');
  return stream(c, async (out) => {
    await out.write('{"series":[');
    for (const [n, { pages, ...head }] of series.entries()) {
      await out.write(`${n ? ',' : ''}${stringifyJson(head).slice(0, -1)},"points":[`);
      let first = true;
      for await (const page of pages) {
        if (!page.length) continue;
        await out.write(`${first ? '' : ','}${page.map(stringifyJson).join(',')}`);
        first = false;
        await nextTurn();
      }
      await out.write(']}');
    }
    await out.write(']}');
  });
}
