import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bodyLimit } from '../../src/http/body-limit.ts';

function app(maxSize: number): Hono {
  const a = new Hono();
  a.use(bodyLimit(maxSize, (c) => c.text('too large', 413)));
  a.post('/x', async (c) => c.text(await c.req.text()));
  a.get('/x', (c) => c.text('read'));
  return a;
}

/** A body sent in chunks, without a Content-Length: its size is known only once read. */
function chunked(parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });
}

describe('bodyLimit', () => {
  it('passes a body within the limit, whole', async () => {
    const res = await app(10).request('/x', { method: 'POST', body: '0123456789', headers: { 'content-length': '10' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('0123456789');
  });

  it('refuses a declared length over the limit', async () => {
    const res = await app(10).request('/x', { method: 'POST', body: '0123456789a', headers: { 'content-length': '11' } });
    expect(res.status).toBe(413);
  });

  it('counts a chunked body as it is read and refuses it once it passes the limit', async () => {
    const send = (parts: string[]) =>
      app(10).request('/x', { method: 'POST', body: chunked(parts), headers: { 'transfer-encoding': 'chunked' }, duplex: 'half' } as RequestInit);
    const over = await send(['01234', '56789', 'a']);
    expect(over.status).toBe(413);
    const within = await send(['01234', '56789']);
    expect(within.status).toBe(200);
    expect(await within.text()).toBe('0123456789');
  });

  it('lets a request without a body through', async () => {
    expect((await app(10).request('/x')).status).toBe(200);
  });
});
