// Prompt templates from prompts/ (or ANALYST_PROMPTS_DIR): front matter with a version, named placeholders.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalystError } from '../domain/errors.ts';
import type { TaskKind } from './facts.ts';
import type { ChatMessage } from './provider.ts';

export const DEFAULT_PROMPTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../prompts');

/** The file of each task, and the placeholders the code fills in for it. */
export const TEMPLATES: Record<TaskKind, { file: string; placeholders: readonly string[]; required: readonly string[] }> = {
  analysis: { file: 'training-analyst.md', placeholders: ['context', 'question'], required: ['context', 'question'] },
  tuning: { file: 'hyperparameter-optimiser.md', placeholders: ['context', 'question'], required: ['context', 'question'] },
  troubleshoot: { file: 'troubleshooter.md', placeholders: ['context', 'question'], required: ['context', 'question'] },
  chat: { file: 'chat.md', placeholders: ['context', 'history', 'question'], required: ['context', 'question'] },
};

export interface Template {
  name: string;
  version: string;
  system: string;
  user: string;
  placeholders: readonly string[];
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

function parse(file: string, text: string, allowed: readonly string[], required: readonly string[]): Template {
  const fail = (why: string) => new AnalystError('internal', `prompt template ${file}: ${why}`);
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!fm) throw fail('missing front matter (---\\nversion: N\\n---)');
  const meta = Object.fromEntries(
    fm[1]
      .split(/\r?\n/)
      .map((l) => /^\s*([a-z_]+)\s*:\s*(.+?)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  if (!meta.version) throw fail('front matter has no version');
  const body = text.slice(fm[0].length);
  const sections = /^@system\s*\r?\n([\s\S]*?)^@user\s*\r?\n([\s\S]*)$/m.exec(body);
  if (!sections) throw fail('needs an @system section followed by an @user section');
  const used = new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1]));
  for (const name of used) if (!allowed.includes(name)) throw fail(`unknown placeholder {{${name}}} (known: ${allowed.join(', ')})`);
  for (const name of required) if (!used.has(name)) throw fail(`placeholder {{${name}}} is missing: the ${name} would never reach the model`);
  return { name: meta.name ?? file.replace(/\.md$/, ''), version: meta.version, system: sections[1].trim(), user: sections[2].trim(), placeholders: allowed };
}

export type PromptSet = Record<TaskKind, Template>;

/** Reads and checks every template; throws at start on a bad one rather than rendering blanks later. */
export function loadPrompts(dir = DEFAULT_PROMPTS_DIR): PromptSet {
  const out = {} as PromptSet;
  for (const [kind, spec] of Object.entries(TEMPLATES) as Array<[TaskKind, (typeof TEMPLATES)[TaskKind]]>) {
    let text: string;
    try {
      text = readFileSync(join(dir, spec.file), 'utf8');
    } catch (error) {
      throw new AnalystError('internal', `prompt template ${join(dir, spec.file)}: ${(error as Error).message}`);
    }
    out[kind] = parse(spec.file, text, spec.placeholders, spec.required);
  }
  return out;
}

/** Fills a template; every placeholder must get a value, so nothing renders as a silent blank. */
export function render(t: Template, values: Record<string, string>): ChatMessage[] {
  const fill = (s: string) =>
    s.replace(PLACEHOLDER, (_, name: string) => {
      const v = values[name];
      if (v === undefined) throw new AnalystError('internal', `prompt ${t.name}: no value for {{${name}}}`);
      return v;
    });
  return [
    { role: 'system', content: fill(t.system) },
    { role: 'user', content: fill(t.user) },
  ];
}
