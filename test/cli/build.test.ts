// The compiled command in dist/ is used only while it is in step with src/: an edit is never answered by stale code.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const copy = mkdtempSync(join(tmpdir(), 'analyst-build-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: copy, encoding: 'utf8' });

describe('dist/ and bin/analyst.js', () => {
  // Two whole compilations: on a loaded machine each may take a minute.
  it('builds dist/, runs it, runs an edited src/ at once, and builds again only when src/ changed', { timeout: 600_000 }, () => {
    for (const f of ['bin', 'scripts', 'src', 'prompts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(copy, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));

    run(['scripts/build.js']);
    expect(existsSync(join(copy, 'dist/cli/main.js'))).toBe(true);
    // The dashboard's files travel with the compiled modules.
    expect(existsSync(join(copy, 'dist/http/dashboard/index.html'))).toBe(true);
    expect(run(['bin/analyst.js', '--help'])).toContain('Training Analyst: watches training runs');

    const main = join(copy, 'src/cli/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('Training Analyst: watches training runs', 'Edited: watches training runs'));
    expect(run(['bin/analyst.js', '--help'])).toContain('Edited: watches training runs');

    const stamp = join(copy, 'dist/.sources.json');
    const before = readFileSync(stamp, 'utf8');
    run(['scripts/build.js']);
    expect(readFileSync(stamp, 'utf8')).not.toBe(before);
    expect(readFileSync(join(copy, 'dist/cli/main.js'), 'utf8')).toContain('Edited: watches training runs');
    // In step: nothing is compiled or replaced.
    const built = statSync(join(copy, 'dist/cli/main.js')).mtimeMs;
    run(['scripts/build.js']);
    expect(statSync(join(copy, 'dist/cli/main.js')).mtimeMs).toBe(built);
  });
});
