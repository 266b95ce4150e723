// SSE fan-out: GET /runs/:id/stream (cursor = per-run seq) and GET /stream?project= (cursor = global gid).
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { parseOrThrow } from '../../domain/errors.ts';
import type { StoredEvent } from '../../domain/events.ts';
import { stringifyEvent, stringifyJson } from '../../domain/values.ts';
import { EventFeed } from '../../service/event-feed.ts';
import type { AnalystService } from '../../service/service.ts';
import { readQuery } from '../body.ts';
import { SseBody } from '../sse-body.ts';

export interface StreamOptions {
  /** Live events a client may leave unread before it gets `overflow` and is closed. */
  maxBuffered: number;
  /** Comment lines at this interval keep proxies from closing an idle stream. */
  heartbeatMs: number;
  /** The reconnection delay suggested to EventSource clients. */
  retryMs: number;
  /** Aborted when the server stops: every stream ends. */
  closing: AbortSignal;
}

const Cursor = z.coerce.number().int().min(0);
const StreamQuery = z.object({
  after: Cursor.optional(),
  project: z.string().min(1).max(250).optional(),
  /** `?types=metrics,finding_raised`: only these event types. */
  types: z
    .string()
    .optional()
    .transform((t) => (t ? new Set(t.split(',').map((x) => x.trim()).filter(Boolean)) : undefined)),
});

// Subscribers of the same event share one serialised, encoded frame: the cost of a frame is paid
// once per event, not once per client.
const runFrames = new WeakMap<StoredEvent, Buffer>();
const globalFrames = new WeakMap<StoredEvent, Buffer>();

function frame(e: StoredEvent, global: boolean): Buffer {
  const cache = global ? globalFrames : runFrames;
  let bytes = cache.get(e);
  if (bytes === undefined) {
    bytes = Buffer.from(`id: ${global ? e.gid : e.seq}\nevent: ${e.type}\ndata: ${stringifyEvent(e)}\n\n`);
    cache.set(e, bytes);
  }
  return bytes;
}

interface Joined {
  first?: StoredEvent;
  last?: StoredEvent;
  bytes: Buffer;
}

/** The last batch joined, per kind of stream: live subscribers of a run are handed the same batch. */
const lastBatch: { run: Joined; global: Joined } = { run: { bytes: Buffer.alloc(0) }, global: { bytes: Buffer.alloc(0) } };

/**
 * A batch's frames as one chunk: one write to the connection per batch, not one per event, and
 * one join for all the subscribers handed the same batch. A batch is the same as the last one
 * when it runs between the same two events with no cursor skipped (a `types` filter may have
 * left out some of the events in between).
 */
function frames(events: StoredEvent[], global: boolean): Buffer {
  if (events.length === 1) return frame(events[0], global);
  const first = events[0];
  const last = events[events.length - 1];
  const key = (e: StoredEvent) => (global ? e.gid : e.seq);
  const cached = global ? lastBatch.global : lastBatch.run;
  const whole = key(last) - key(first) + 1 === events.length;
  if (whole && cached.first === first && cached.last === last) return cached.bytes;
  const bytes = Buffer.concat(events.map((e) => frame(e, global)));
  if (whole) Object.assign(cached, { first, last, bytes });
  return bytes;
}

/** Where a client resumes: `Last-Event-ID` (sent by a reconnecting EventSource) wins over `?after=`. */
function resumeCursor(c: Context, after: number | undefined, fallback: number): number {
  const header = c.req.header('last-event-id');
  if (header !== undefined && header.trim() !== '') return parseOrThrow(Cursor, header.trim(), 'Last-Event-ID header', 'invalid_query');
  return after ?? fallback;
}

function serve(c: Context, service: AnalystService, feed: EventFeed, global: boolean, opts: StreamOptions, first = ''): Response {
  const stop = () => feed.close();
  const body = new SseBody(stop);
  void (async () => {
    service.telemetry.sseClients.inc();
    c.req.raw.signal.addEventListener('abort', stop);
    if (opts.closing.aborted) stop();
    opts.closing.addEventListener('abort', stop);
    let writing = false;
    const write = async (bytes: Uint8Array) => {
      writing = true;
      await body.write(bytes);
      writing = false;
    };
    // Only when nothing is being written: a stuck client must not queue heartbeats without end.
    const beat = setInterval(() => void (writing || write(Buffer.from(': heartbeat\n\n'))), opts.heartbeatMs);
    try {
      await write(Buffer.from(`retry: ${opts.retryMs}\n\n${first}`));
      for (let item = await feed.next(); item && !body.closed; item = await feed.next()) {
        if ('overflow' in item) {
          const data = JSON.stringify({ resume_after: item.overflow, reason: 'client too slow: reconnect with Last-Event-ID' });
          await write(Buffer.from(`id: ${item.overflow}\nevent: overflow\ndata: ${data}\n\n`));
          break;
        }
        if ('deleted' in item) {
          // No id: there is nothing to resume; a reconnect gets 410.
          await write(Buffer.from(`event: deleted\ndata: ${JSON.stringify({ run: item.deleted, reason: 'the run was deleted' })}\n\n`));
          break;
        }
        // One write per batch: a burst of events costs one trip through the stream, not one each.
        await write(frames(item.events, global));
      }
    } catch (err) {
      // The store failed while the feed caught up: the stream ends, and the client resumes from its last id.
      console.error(err);
    } finally {
      clearInterval(beat);
      opts.closing.removeEventListener('abort', stop);
      feed.close();
      body.close();
      service.telemetry.sseClients.dec();
    }
  })();
  return c.body(body.stream, 200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    // A chunked body is streamed at once: without it the Node adapter reads ahead before it answers.
    'Transfer-Encoding': 'chunked',
    // nginx buffers proxied responses unless told not to, which would hold events back.
    'X-Accel-Buffering': 'no',
  });
}

export function streamRoutes(service: AnalystService, opts: StreamOptions): Hono {
  const app = new Hono();

  app.get('/runs/:id/stream', async (c) => {
    const run = await service.run(c.req.param('id'));
    const q = readQuery(c, StreamQuery);
    const after = resumeCursor(c, q.after, 0);
    const feed = new EventFeed(service.store, service.bus, { run: run.id }, { after, maxBuffered: opts.maxBuffered, types: q.types });
    // A snapshot first, without an id so it never moves the client's resume cursor.
    const status = `event: status\ndata: ${stringifyJson(await service.status(run.id))}\n\n`;
    return serve(c, service, feed, false, opts, status);
  });

  app.get('/stream', async (c) => {
    const q = readQuery(c, StreamQuery);
    // Without a cursor a global stream starts now: replaying every run ever stored is never wanted.
    const after = resumeCursor(c, q.after, await service.store.lastGid());
    const feed = new EventFeed(service.store, service.bus, { project: q.project }, { after, maxBuffered: opts.maxBuffered, types: q.types });
    return serve(c, service, feed, true, opts);
  });

  return app;
}
