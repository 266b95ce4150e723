import { describe, expect, it } from 'vitest';
import { SseBody } from '../../src/http/sse-body.ts';

const bytes = (text: string) => Buffer.from(text);
const text = (chunk: Uint8Array | undefined) => Buffer.from(chunk ?? []).toString();

describe('SseBody', () => {
  it('hands a chunk to a pending read as it is written, and makes the writer wait while the client reads nothing', async () => {
    const body = new SseBody(() => {});
    const reader = body.stream.getReader();
    const pending = reader.read();
    await body.write(bytes('id: 1\n\n'));
    expect(text((await pending).value)).toBe('id: 1\n\n');

    // Nobody reads: the first chunk waits in the stream, and its writer with it.
    let second = false;
    const writing = body.write(bytes('id: 2\n\n')).then(() => (second = true));
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    expect(text((await reader.read()).value)).toBe('id: 2\n\n');
    await writing;
    expect(second).toBe(true);

    body.close();
    expect((await reader.read()).done).toBe(true);
  });

  it('tells the stream when the client goes away, lets a waiting writer go, and drops later writes', async () => {
    let cancelled = 0;
    const body = new SseBody(() => cancelled++);
    const reader = body.stream.getReader();
    const waiting = body.write(bytes('unread'));
    await reader.cancel();
    await waiting;
    expect(cancelled).toBe(1);
    expect(body.closed).toBe(true);
    await body.write(bytes('after'));
    body.close();
    expect(cancelled).toBe(1);
  });
});
