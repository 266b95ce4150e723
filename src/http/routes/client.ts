// GET /client/training_analyst.py: the Python client as one file, for trainers that `curl -O` it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

/** The package is this one module, so the file served is the file `pip install ./clients/python` installs. */
export const CLIENT_FILE = fileURLToPath(new URL('../../../clients/python/training_analyst.py', import.meta.url));

/** Mounted before the auth check, like the dashboard's files: it is code, and holds no run data. */
export function clientRoutes(): Hono {
  const app = new Hono();
  app.get('/client/training_analyst.py', async (c) =>
    c.body(await readFile(CLIENT_FILE), 200, {
      'content-type': 'text/x-python; charset=utf-8',
      'content-disposition': 'attachment; filename="training_analyst.py"',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    }),
  );
  return app;
}
