import { Command, CommanderError } from 'commander';
import { AnalystError } from '../domain/errors.ts';
import { CliError } from './client.ts';
import { loadEnvFile } from './env-file.ts';

const program = new Command('analyst')
  .description('Training Analyst: watches training runs, diagnoses what goes wrong, explains it')
  .addHelpText(
    'after',
    `
Environment (also read from .env in the working directory; a variable set in the environment wins):
  ANALYST_URL     server the client commands talk to (default http://127.0.0.1:8787)
  ANALYST_TOKEN   bearer token sent to the server, and required by \`analyst serve\` when set
  every setting of \`analyst serve\` is listed with its default in .env.example`,
  )
  .showHelpAfterError()
  .exitOverride();

/**
 * Each command's module, loaded only when that command runs: a client command such as `analyst
 * status` then loads neither zod nor the file readers, most of its start-up. The help, and a
 * name that is no command, need them all.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.ts')).serveCommand(),
  runs: async () => (await import('./runs.ts')).runsCommand(),
  status: async () => (await import('./runs.ts')).statusCommand(),
  diagnose: async () => (await import('./diagnose.ts')).diagnoseCommand(),
  export: async () => (await import('./export.ts')).exportCommand(),
  import: async () => (await import('./export.ts')).importCommand(),
  report: async () => (await import('./report.ts')).reportCommand(),
  watch: async () => (await import('./watch.ts')).watchCommand(),
  ask: async () => (await import('./ask.ts')).askCommand(),
  alerts: async () => (await import('./alerts.ts')).alertsCommand(),
  lineage: async () => (await import('./lineage.ts')).lineageCommand(),
  doctor: async () => (await import('./doctor.ts')).doctorCommand(),
  mcp: async () => (await import('./mcp.ts')).mcpCommand(),
};
const named = process.argv[2];
const needed = Object.hasOwn(COMMANDS, named ?? '') ? [named!] : Object.keys(COMMANDS);
for (const cmd of await Promise.all(needed.map((n) => COMMANDS[n]()))) program.addCommand(cmd);

try {
  loadEnvFile();
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof CliError) {
    process.stderr.write(`analyst: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof AnalystError) {
    process.stderr.write(`analyst: ${err.message}\n`);
    for (const i of err.issues ?? []) process.stderr.write(`  ${i.path}: ${i.message}\n`);
    process.exit(2);
  }
  throw err;
}
