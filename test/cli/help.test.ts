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

  it('offers --json on every command, and on every subcommand of a command group', () => {
    expect(commands).toEqual(expect.arrayContaining(['serve', 'runs', 'status', 'diagnose', 'watch', 'ask', 'alerts']));
    for (const c of commands) {
      const text = analyst([c, '--help']);
      const group = text.indexOf('Commands:');
      if (group < 0) {
        expect(text, c).toMatch(/^\s+--json\b/m);
        continue;
      }
      const subcommands = [...text.slice(group).matchAll(/^  (\w+) /gm)].map((m) => m[1]).filter((s) => s !== 'help');
      expect(subcommands.length, c).toBeGreaterThan(0);
      for (const sub of subcommands) expect(analyst([c, sub, '--help']), `${c} ${sub}`).toMatch(/^\s+--json\b/m);
    }
  });
});
