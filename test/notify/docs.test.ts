// The verification receivers printed in docs/webhooks.md, run as they are written: they must accept
// real deliveries and refuse tampered and replayed ones.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/notify/signing.ts';
import { RUN, finding, killChild, makeNotifier, raised, startReceiver, subscribe, tempStore, until } from './helpers.ts';

const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/webhooks.md'), 'utf8');
const SECRET = 'docs-example-secret-0123456789';

function codeBlock(lang: string): string {
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC);
  if (!match) throw new Error(`no ${lang} block in docs/webhooks.md`);
  return match[1];
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function freePort(): Promise<number> {
  const probe = await startReceiver();
  await probe.close();
  return probe.port;
}

async function runExample(command: string, file: string, code: string): Promise<{ port: number; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-docs-'));
  writeFileSync(join(dir, file), code);
  const port = await freePort();
  const child: ChildProcess = spawn(command, [join(dir, file)], {
    env: { ...process.env, WEBHOOK_SECRET: SECRET, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => killChild(child),
  );
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  await until(() => lines.includes('listening') || child.exitCode !== null);
  if (!lines.includes('listening')) throw new Error(`${file} exited: ${stderr}`);
  return { port, lines };
}

async function exercise(example: { port: number; lines: string[] }) {
  const url = `http://127.0.0.1:${example.port}/hook`;
  const t = tempStore();
  const notifier = await makeNotifier(t.store);
  cleanups.push(t.cleanup, () => notifier.stop());
  const hook = await subscribe(notifier, url, { secret: SECRET });
  notifier.start();
  await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
  const delivered = await until(async () => (await notifier.listDeliveries(hook.id)).find((d) => d.status === 'delivered'));
  expect(delivered.response_code).toBe(204);
  const printed = await until(() => example.lines.find((l) => l.startsWith('{')));
  expect(JSON.parse(printed)).toEqual({ delivery: delivered.id, type: 'finding.raised', message: 'nan_loss seen at step 1200' });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => [r.status, await r.text()]);
  const send = (sentAt: number, tamper = (b: string) => b) => {
    const body = JSON.stringify({ id: 'x', type: 'finding.raised', message: 'hello', sent_at: sentAt });
    const headers = { 'x-analyst-signature': signBody(SECRET, body), 'x-analyst-delivery': `d-${sentAt}`, 'x-analyst-timestamp': String(sentAt) };
    return post(tamper(body), headers);
  };
  const now = Math.floor(Date.now() / 1000);
  expect(await send(now)).toEqual([204, '']);
  expect(await send(now, (b) => b.replace('hello', 'HELLO'))).toEqual([401, 'bad signature']);
  // A captured request sent again ten minutes later, as it was: the signed time gives it away.
  expect(await send(now - 600)).toEqual([401, 'too old: possible replay']);
  // Only the header moved forward: it no longer matches the signed body.
  const old = JSON.stringify({ id: 'x', type: 'finding.raised', message: 'hello', sent_at: now - 600 });
  expect(await post(old, { 'x-analyst-signature': signBody(SECRET, old), 'x-analyst-delivery': 'd', 'x-analyst-timestamp': String(now) })).toEqual([
    401,
    'timestamp does not match the signed body',
  ]);
}

describe('docs/webhooks.md verification examples', () => {
  it('the Node receiver verifies deliveries and refuses tampering and replays', async () => {
    await exercise(await runExample(process.execPath, 'receiver.mjs', codeBlock('js')));
  });

  it.skipIf(!hasPython())('the Python receiver verifies deliveries and refuses tampering and replays', async () => {
    await exercise(await runExample('python3', 'receiver.py', codeBlock('python')));
  });
});
