// `analyst ask "question"`: against a server (POST /chat, tokens streamed) or on a file with no server.
import { Command, Option } from 'commander';
import { createParser } from 'eventsource-parser';
import type { ChatResult } from '../analyst/analyst.ts';
import { ChatInput, QuickAction, type ProviderName } from '../domain/analysis-request.ts';
import { parseOrThrow } from '../domain/errors.ts';
import type { IncomingMessage } from 'node:http';
import { json } from 'node:stream/consumers';
import { CliError, send, serverUrl } from './client.ts';

interface AskOptions {
  run?: string;
  server?: string;
  file?: string;
  json?: boolean;
  action?: QuickAction;
  provider?: ProviderName;
  model?: string;
  conversation?: string;
}

type Out = { write(s: string): unknown };

export function askCommand(out: Out = process.stdout, err: Out = process.stderr): Command {
  return new Command('ask')
    .description('ask the analyst about a run: on a server (--run) or on a training file with no server (--file)')
    .argument('[question]', 'the question; optional with --action')
    .option('--run <run>', 'run id on the server')
    .option('--server <url>', 'server URL (default ANALYST_URL or http://127.0.0.1:8787)')
    .option('--file <path>', 'a training file or TensorBoard directory to analyse locally, no server')
    .option('--json', 'print the whole answer as one JSON object')
    .addOption(new Option('--action <action>', 'a quick action instead of a question').choices(QuickAction.options))
    .addOption(new Option('--provider <provider>', 'openai, ollama or offline (default: ANALYST_LLM)').choices(['openai', 'ollama', 'offline']))
    .option('--model <model>', 'model name for the provider')
    .option('--conversation <id>', 'continue a conversation (server only)')
    .action(async (question: string | undefined, opts: AskOptions) => {
      const result = opts.file ? await askFile(question, opts, out) : await askServer(question, opts, out);
      if (opts.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
      else out.write(result.provider === 'offline' ? `\n\n(Answered by the offline narrator, not a model: ${result.offline_reason ?? result.reason ?? 'no model in use'}.)\n` : '\n');
      if (result.degraded) err.write(`analyst: answered offline: ${result.reason}\n`);
    });
}

function chatInput(run: string, question: string | undefined, opts: AskOptions): ChatInput {
  return parseOrThrow(
    ChatInput,
    { run, message: question, action: opts.action, conversation: opts.conversation, provider: opts.provider, model: opts.model },
    'question',
  );
}

/** No server: import the file, fold and diagnose it, and ask the analyst in this process. */
async function askFile(question: string | undefined, opts: AskOptions, out: Out): Promise<ChatResult> {
  // Loaded on use: the other commands start without the importers, the analyst and SQLite.
  const [{ openStore }, { createAnalyst }, { MemorySource }, { importFile }, { endingOf }] = await Promise.all([
    import('../store/open.ts'),
    import('../analyst/create.ts'),
    import('../analyst/memory-source.ts'),
    import('../ingest/files/import-file.ts'),
    import('../ingest/files/ending.ts'),
  ]);
  const imported = await importFile(opts.file!);
  const source = new MemorySource();
  const events = imported.run_started ? [imported.run_started, ...imported.events] : imported.events;
  // A file is a finished record of a run: it ends as the file does (failed on a crash or a NaN loss).
  source.add(imported.name, [...events, endingOf(events)]);
  const { analyst } = await createAnalyst({ source, store: await openStore(':memory:') });
  const session = await analyst.chat(chatInput(imported.name, question, opts));
  for await (const token of session.tokens) if (!opts.json) out.write(token);
  return session.done;
}

async function askServer(question: string | undefined, opts: AskOptions, out: Out): Promise<ChatResult> {
  if (!opts.run) throw new CliError('--run RUN is needed to ask a server (or --file PATH to analyse a file without one)', 2);
  const base = serverUrl(opts.server);
  const res = await send(
    base,
    '/chat',
    { method: 'POST', headers: { accept: opts.json ? 'application/json' : 'text/event-stream' }, body: JSON.stringify(chatInput(opts.run, question, opts)) },
    'use --file',
  );
  if (opts.json) return (await json(res)) as ChatResult;
  return readStream(res, out);
}

/** Writes `token` events as they come; resolves with the `done` event's answer. */
async function readStream(res: IncomingMessage, out: Out): Promise<ChatResult> {
  let done: ChatResult | undefined;
  let failure: string | undefined;
  const parser = createParser({
    onEvent(ev) {
      if (ev.event === 'token') out.write((JSON.parse(ev.data) as { text: string }).text);
      else if (ev.event === 'done') done = JSON.parse(ev.data) as ChatResult;
      else if (ev.event === 'error') failure = (JSON.parse(ev.data) as { message?: string }).message ?? ev.data;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of res as AsyncIterable<Buffer>) parser.feed(decoder.decode(chunk, { stream: true }));
  if (failure) throw new CliError(`the server failed mid-answer: ${failure}`);
  if (!done) throw new CliError('the server closed the stream before the answer was done');
  return done;
}
