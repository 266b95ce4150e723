// The analyst's HTTP doors: POST /analyze, POST /chat (SSE or JSON), suggestions, usage.
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Analyst } from '../../analyst/analyst.ts';
import { AnalyzeInput, ChatInput, QUICK_ACTIONS, SuggestionQuery, SuggestionStatusInput } from '../../domain/analysis-request.ts';
import { AnalystError } from '../../domain/errors.ts';
import { LlmQuery } from '../../domain/llm-check.ts';
import { readJson, readQuery } from '../body.ts';

export interface AnalystRouteDeps {
  analyst: Analyst;
}

/** JSON only when the client asks for it and not for an event stream: SSE is the default. */
function wantsJson(c: Context): boolean {
  const accept = (c.req.header('accept') ?? '').toLowerCase();
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}

function errorBody(error: unknown): { code: string; message: string } {
  if (error instanceof AnalystError) return { code: error.code, message: error.message };
  return { code: 'internal', message: (error as Error)?.message ?? 'internal error' };
}

export function analystRoutes(deps: AnalystRouteDeps): Hono {
  const { analyst } = deps;
  const app = new Hono();

  app.post('/analyze', async (c) => c.json(await analyst.analyze(await readJson(c, AnalyzeInput))));

  app.post('/chat', async (c) => {
    const input = await readJson(c, ChatInput);
    // Unknown runs and bad providers fail here, as a plain 4xx, before any stream opens.
    const session = await analyst.chat(input);
    if (wantsJson(c)) {
      for await (const _ of session.tokens);
      return c.json(await session.done);
    }
    return streamSSE(c, async (stream) => {
      try {
        for await (const text of session.tokens) {
          if (stream.aborted) break;
          await stream.writeSSE({ event: 'token', data: JSON.stringify({ text }) });
        }
        if (!stream.aborted) await stream.writeSSE({ event: 'done', data: JSON.stringify(await session.done) });
      } catch (error) {
        await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(error)) });
      }
    });
  });

  app.get('/chat/actions', (c) =>
    c.json({ actions: Object.entries(QUICK_ACTIONS).map(([action, a]) => ({ action, label: a.label, kind: a.kind, message: a.message })) }),
  );

  app.post('/suggestions/:id', async (c) => {
    const { status } = await readJson(c, SuggestionStatusInput);
    return c.json(await analyst.setSuggestionStatus(c.req.param('id'), status));
  });

  app.get('/suggestions', async (c) => {
    const { run } = readQuery(c, SuggestionQuery);
    return c.json({ run, suggestions: await analyst.suggestions(run) });
  });

  app.get('/usage', async (c) => c.json(await analyst.usage()));

  app.get('/llm', async (c) => c.json(await analyst.llm(readQuery(c, LlmQuery).fresh === 'true')));

  return app;
}
