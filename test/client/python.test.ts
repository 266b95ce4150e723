// The Python client's own tests (stdlib unittest), run against the real service.
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from '../helpers/server.ts';

const TESTS = resolve(import.meta.dirname, '../../clients/python/tests');
const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');
// Debian's interpreter sees Debian's python3-torch and python3-sklearn (installed by .ci/run).
const DEBIAN_PYTHON = '/usr/bin/python3';

function hasTorch(python: string): boolean {
  return spawnSync(python, ['-c', 'import torch, sklearn'], { stdio: 'ignore' }).status === 0;
}

/** Runs unittest in a child process; asynchronous, so the service in this process keeps answering. */
function unittest(python: string, args: string[], url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(python, ['-m', 'unittest', ...args], {
      cwd: TESTS,
      env: { ...process.env, ANALYST_URL: url, ANALYST_SERVE_COMMAND: JSON.stringify([process.execPath, BIN, 'serve']), PYTHONDONTWRITEBYTECODE: '1' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
  });
}

const torchOnPath = hasTorch('python3');
const torchInDebian = hasTorch(DEBIAN_PYTHON);

describe('Python client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(() => server.stop());

  it('passes its unittest suite: API, spool and replay, queue, control, seed APIs, callbacks, served file', async () => {
    const r = await unittest('python3', ['discover', '-s', '.', '-p', 'test_*.py', '-v'], server.url);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^OK/m);
  }, 180_000);

  // Skipped where no interpreter has torch; run here only when `python3` above lacked it.
  it.skipIf(torchOnPath || !torchInDebian)('trains a real PyTorch network through the client (Debian python3)', async () => {
    const r = await unittest(DEBIAN_PYTHON, ['test_torch_training', '-v'], server.url);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toMatch(/skipped/);
  }, 180_000);
});
