// Server-sent events read from a fetch body: EventSource cannot send the Authorization header.
import { createParser } from './vendor/sse-parser.js';

/** Reads an SSE response to its end, calling `onEvent({id, event, data})`; returns the server's `retry:` hint. */
export async function readSse(response, onEvent) {
  let retry;
  const parser = createParser({ onEvent, onRetry: (ms) => (retry = ms) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return retry;
    parser.feed(value);
  }
}

/** `data` as JSON, or as the raw text when it is not JSON. */
export function eventData(e) {
  try {
    return JSON.parse(e.data);
  } catch {
    return e.data;
  }
}
