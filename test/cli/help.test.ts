import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');
const analyst = (args: string[]) => execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('analyst --help', () => {
  const help = analyst(['--help']);
  const listed = help.slice(help.indexOf('Commands:'), help.indexOf('Environment'));
  const commands = [...listed.matchAll(/^  (\w+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');

  it('names the environment the client commands read, and .env', () => {
    expect(help).toMatch(/ANALYST_URL\s+server the client commands talk to/);
    expect(help).toMatch(/ANALYST_TOKEN\s+bearer token/);
    expect(help).toContain('.env in the working directory');
  });

  it('offers --json on every command', () => {
    expect(commands).toEqual(expect.arrayContaining(['serve', 'runs', 'status', 'diagnose', 'watch', 'ask', 'alerts']));
    for (const c of commands) expect(analyst([c, '--help']), c).toMatch(/^\s+--json\b/m);
  });
});
