import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { sendChunks } from '../../src/http/chunked.ts';

async function* chunks(parts: string[], failAfter = Infinity): AsyncGenerator<string> {
  for (const [i, p] of parts.entries()) {
    if (i >= failAfter) throw new Error('the store went away');
    yield p;
  }
}

function app(source: () => AsyncIterable<string>): Hono {
  const a = new Hono();
  a.get('/x', (c) => sendChunks(c, source(), { 'content-type': 'text/plain' }));
  a.onError((err, c) => c.text(err.message, 503));
  return a;
}

describe('sendChunks', () => {
  it('writes every chunk in order', async () => {
    const res = await app(() => chunks(['a', 'b', 'c'])).request('/x');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('abc');
  });

  it('answers a failure before the first chunk as an error response', async () => {
    const res = await app(() => chunks(['a'], 0)).request('/x');
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('the store went away');
  });

  it('aborts the body on a failure after the first chunk, so a cut-off file never reads as whole', async () => {
    const res = await app(() => chunks(['a', 'b', 'c'], 2)).request('/x');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow('the store went away');
  });

  it('reads no further than the client has taken', async () => {
    let made = 0;
    async function* counted(): AsyncGenerator<string> {
      for (let i = 0; i < 100; i++) {
        made++;
        yield 'x'.repeat(1024);
      }
    }
    const res = await app(counted).request('/x');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(made).toBeLessThan(100);
  });
});
