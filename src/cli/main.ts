import { Command, CommanderError } from 'commander';
import { AnalystError } from '../domain/errors.ts';
import { CliError } from './client.ts';
import { loadEnvFile } from './env-file.ts';
import { diagnoseCommand } from './diagnose.ts';
import { doctorCommand } from './doctor.ts';
import { mcpCommand } from './mcp.ts';
import { exportCommand, importCommand } from './export.ts';
import { reportCommand } from './report.ts';
import { alertsCommand } from './alerts.ts';
import { askCommand } from './ask.ts';
import { watchCommand } from './watch.ts';
import { lineageCommand } from './lineage.ts';
import { runsCommand, statusCommand } from './runs.ts';
import { serveCommand } from './serve.ts';

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

for (const cmd of [serveCommand(), runsCommand(), statusCommand(), diagnoseCommand(), exportCommand(), importCommand(), reportCommand(), watchCommand(), askCommand(), alertsCommand(), lineageCommand(), doctorCommand(), mcpCommand()]) program.addCommand(cmd);

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
