import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_FILE } from '../../src/http/routes/client.ts';
import { testServer, type TestServer } from '../helpers/server.ts';

describe('GET /client/training_analyst.py', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ ANALYST_TOKEN: 'secret' });
  });
  afterAll(() => server.stop());

  it('serves the package module byte for byte, without the token (it holds no run data)', async () => {
    const res = await fetch(`${server.url}/client/training_analyst.py`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/x-python; charset=utf-8');
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(CLIENT_FILE))).toBe(true);
    expect((await fetch(`${server.url}/runs`)).status).toBe(401);
  });
});
