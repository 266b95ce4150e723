// One run's events as they happen: the SSE stream, resumed with Last-Event-ID, or polling when it is missing.
import { HttpError, getJson, request } from './api.js';
import { eventData, readSse } from './sse.js';

const DEFAULT_RETRY_MS = 2000;
const MAX_RETRY_MS = 30_000;
const POLL_MS = 2000;
const POLL_LIMIT = 1000;

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Follows run `id` from seq `after`: `onEvent(type, data)` gets every event once, in order;
 * `onState(state, detail)` hears 'live', 'reconnecting', 'polling', 'stopped'. Returns a function that stops it.
 */
export function followRun(id, after, { onEvent, onState }) {
  const abort = new AbortController();
  const { signal } = abort;
  let cursor = after;
  const path = `/runs/${encodeURIComponent(id)}`;

  const deliver = (type, data, seq) => {
    // A replay after reconnecting can overlap what was seen: seq says what is new.
    if (seq !== undefined) {
      if (seq <= cursor) return;
      cursor = seq;
    }
    onEvent(type, data);
  };

  async function stream() {
    let wait = DEFAULT_RETRY_MS;
    while (!signal.aborted) {
      try {
        const res = await request(`${path}/stream`, { headers: { accept: 'text/event-stream', 'last-event-id': String(cursor) }, signal });
        onState('live');
        wait = DEFAULT_RETRY_MS;
        const hint = await readSse(res, (e) => {
          const data = eventData(e);
          // `overflow`: the server dropped us for reading too slowly; its id is where to resume.
          if (e.event === 'overflow') cursor = Number(e.id);
          else deliver(e.event ?? 'message', data, e.id ? Number(e.id) : undefined);
        });
        if (hint) wait = hint;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof HttpError && error.status === 404) return poll(error);
        // A refused token is not going to get better by retrying: the token button starts over.
        if (error instanceof HttpError && error.status === 401) return onState('stopped', error.message);
        wait = Math.min(wait * 2, MAX_RETRY_MS);
        onState('reconnecting', error.message);
      }
      if (!signal.aborted) onState('reconnecting', `retry in ${Math.round(wait / 1000)}s`);
      await sleep(wait, signal);
    }
  }

  /** Without the stream route the same events are read from GET /runs/:id/events. */
  async function poll(reason) {
    onState('polling', reason.message);
    while (!signal.aborted) {
      try {
        const { events } = await getJson(`${path}/events?after_seq=${cursor}&limit=${POLL_LIMIT}`, { signal });
        for (const e of events) deliver(e.type, e, e.seq);
        if (events.length === POLL_LIMIT) continue;
      } catch (error) {
        if (signal.aborted) return;
        onState('polling', error.message);
      }
      await sleep(POLL_MS, signal);
    }
  }

  stream();
  return () => abort.abort();
}
