// GET / and /ui/*: the dashboard's static files, and the browser builds of the libraries it uses.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { AnalystError } from '../../domain/errors.ts';
import { table } from '../../domain/own.ts';

const PAGE_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

const TYPES: Record<string, string> = table({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
});

// The page imports these by URL; they are served from the installed packages, so an
// `npm update` updates the page too, with no copy to keep in step.
const require = createRequire(import.meta.url);
function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}
const VENDOR: Record<string, string> = table({
  'uplot.js': join(packageDir('uplot'), 'dist/uPlot.esm.js'),
  'uplot.css': join(packageDir('uplot'), 'dist/uPlot.min.css'),
  'sse-parser.js': join(packageDir('eventsource-parser'), 'dist/index.js'),
});

/** Only names listed when the routes are built are served: a request path never reaches the filesystem. */
function pageFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(PAGE_DIR)) if (TYPES[extname(name)]) files.set(name, join(PAGE_DIR, name));
  for (const [name, path] of Object.entries(VENDOR)) files.set(`vendor/${name}`, path);
  return files;
}

async function sendFile(c: Context, path: string): Promise<Response> {
  const body = await readFile(path);
  // no-cache: the browser revalidates, so a new deploy is picked up on the next reload.
  return c.body(body, 200, { 'content-type': TYPES[extname(path)], 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
}

/**
 * Mounted before the auth check: these files hold no run data, and the page must load to ask
 * for the token that every API call it makes then carries.
 */
export function dashboardRoutes(): Hono {
  const files = pageFiles();
  const app = new Hono();
  app.get('/', (c) => sendFile(c, files.get('index.html')!));
  // Browsers ask for /favicon.ico on their own (a JSON view, a download page): the page's icon answers it.
  app.get('/favicon.ico', (c) => sendFile(c, files.get('favicon.svg')!));
  app.get('/ui/*', (c) => {
    const path = files.get(c.req.path.slice('/ui/'.length));
    if (!path) throw new AnalystError('not_found', `no dashboard file ${c.req.path}`);
    return sendFile(c, path);
  });
  return app;
}
