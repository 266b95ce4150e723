import type { Context } from 'hono';

/**
 * A response body written as `chunks` yields them, each when the client has taken the last
 * (so a slow download holds no more than a chunk in memory). The first chunk is read before the
 * answer starts: what fails before it (an unknown run) is still a plain error response. A
 * failure after it aborts the response, so a cut-off download never looks like a whole file.
 */
export async function sendChunks(c: Context, chunks: AsyncIterable<string | Uint8Array>, headers: Record<string, string>): Promise<Response> {
  const it = chunks[Symbol.asyncIterator]();
  const first = await it.next();
  const encoder = new TextEncoder();
  const bytes = (chunk: string | Uint8Array) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
  let pending: IteratorResult<string | Uint8Array> | null = first;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = pending ?? (await it.next());
        pending = null;
        if (next.done) controller.close();
        else controller.enqueue(bytes(next.value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
  return c.body(body, 200, headers);
}
