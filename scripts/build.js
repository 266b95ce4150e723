// Compiles src/ to dist/, the JavaScript the `analyst` command and `npm start` load (no TypeScript
// compiler at each call). `node scripts/build.js` builds only when dist/ is not in step with src/;
// `npm install` (prepare), `npm start`, `npm test` and `npm run bench` run it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.sources.json');
/** Besides src/, what changes the compiled output. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json'];

/**
 * What dist/ was built from: the number of source files and the newest modification time. An
 * edited, added, removed or renamed source changes one of them, so a stale dist/ is never run.
 */
function sourcesFingerprint() {
  let count = 0;
  let newest = 0;
  const visit = (file) => {
    count++;
    newest = Math.max(newest, statSync(file).mtimeMs);
  };
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else visit(full);
    }
  };
  walk(path.join(ROOT, 'src'));
  for (const f of INPUTS) visit(path.join(ROOT, f));
  return { count, newest };
}

/** True when dist/ was compiled from the sources as they are now. */
export function isBuilt() {
  try {
    const built = JSON.parse(readFileSync(STAMP, 'utf8'));
    const now = sourcesFingerprint();
    return built.count === now.count && built.newest === now.newest;
  } catch {
    return false;
  }
}

/**
 * Compiles into a fresh folder and swaps it in, so a command started meanwhile sees either the
 * old complete dist/ or the new one (or none, and runs the sources through tsx).
 */
export function build() {
  const before = sourcesFingerprint();
  const tmp = path.join(ROOT, `dist.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', tmp], { stdio: 'inherit' });
    // The dashboard's files and the workers (plain JavaScript) are loaded from beside the compiled modules.
    cpSync(path.join(ROOT, 'src'), tmp, { recursive: true, filter: (f) => !f.endsWith('.ts') });
    // Sources edited while compiling leave the stamp behind them: the next check builds again.
    writeFileSync(path.join(tmp, '.sources.json'), JSON.stringify(before));
    const old = path.join(ROOT, `dist.${process.pid}.old`);
    if (existsSync(DIST)) renameSync(DIST, old);
    try {
      renameSync(tmp, DIST);
    } catch (err) {
      // Another build of the same sources swapped its folder in first: keep that one.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (isBuilt()) process.exit(0);
  try {
    build();
  } catch (err) {
    process.stderr.write(`build: ${err.message}\n`);
    process.exit(1);
  }
}
