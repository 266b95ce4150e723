// The dashboard's file routes: page and assets served (without a token), vendor builds found, nothing else reachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer({ ANALYST_TOKEN: 'dashboard-route-token' });
});
afterAll(async () => s.stop());

describe('dashboard routes', () => {
  it('serves the page and its modules without a token, while the API still asks for one', async () => {
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script type="module" src="/ui/app.js">');
    const app = await fetch(`${s.url}/ui/app.js`);
    expect(app.headers.get('content-type')).toContain('text/javascript');
    expect(await app.text()).toContain("from './run-view.js'");
    expect((await fetch(`${s.url}/runs`)).status).toBe(401);
  });

  it('serves the vendored uPlot and SSE parser builds from node_modules', async () => {
    const uplot = await fetch(`${s.url}/ui/vendor/uplot.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain('export { uPlot as default }');
    const css = await fetch(`${s.url}/ui/vendor/uplot.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(await (await fetch(`${s.url}/ui/vendor/sse-parser.js`)).text()).toContain('createParser');
  });

  it('serves nothing but dashboard files', async () => {
    for (const path of ['/ui/nope.js', '/ui/', '/ui/%2e%2e/package.json', '/ui/..%2fpackage.json', '/ui/vendor/..%2f..%2fpackage.json']) {
      const res = await fetch(`${s.url}${path}`);
      // Either no dashboard route matches (the API's auth answers) or the file is unknown: never served.
      expect([401, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain('training-analyst');
    }
  });
});
