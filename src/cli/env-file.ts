// `.env` in the working directory, for every command: `analyst serve` and the clients alike.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { CliError } from './client.ts';

/** Sets the file's variables the environment does not set already: the environment wins over the file. */
export function loadEnvFile(file = '.env', env: NodeJS.ProcessEnv = process.env): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
  for (const [name, value] of Object.entries(parseEnv(text))) if (env[name] === undefined) env[name] = value;
}
