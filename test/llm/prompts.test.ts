// Prompt templates: loading, versions, and placeholders checked at start.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROMPTS_DIR, loadPrompts, render } from '../../src/llm/prompts.ts';
import { makeAnalyst } from '../analyst/fixture.ts';

/** A copy of prompts/ with one file rewritten. */
function promptsWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'prompts-'));
  cpSync(DEFAULT_PROMPTS_DIR, dir, { recursive: true });
  writeFileSync(path.join(dir, file), edit(readFileSync(path.join(dir, file), 'utf8')));
  return dir;
}

describe('prompt templates', () => {
  it('loads the four templates of prompts/ with their versions', () => {
    const p = loadPrompts();
    expect(Object.keys(p).sort()).toEqual(['analysis', 'chat', 'troubleshoot', 'tuning']);
    expect(p.analysis).toMatchObject({ name: 'training-analyst', version: '2' });
    expect(p.tuning.name).toBe('hyperparameter-optimiser');
    expect(p.troubleshoot.name).toBe('troubleshooter');
    const messages = render(p.chat, { context: '<run-data>\nx\n</run-data>', history: '(none)', question: 'why?' });
    expect(messages[1].content).toContain('Question: why?');
  });

  it('refuses at load a template using a placeholder the code does not fill', () => {
    const dir = promptsWith('troubleshooter.md', (t) => t.replace('{{question}}', '{{question}} {{run_name}}'));
    expect(() => loadPrompts(dir)).toThrow(/troubleshooter\.md: unknown placeholder \{\{run_name\}\}/);
  });

  it('refuses at load a template that lost a required placeholder', () => {
    const dir = promptsWith('training-analyst.md', (t) => t.replace('{{context}}', ''));
    expect(() => loadPrompts(dir)).toThrow(/training-analyst\.md: placeholder \{\{context\}\} is missing/);
  });

  it('refuses at load a template without a version', () => {
    const dir = promptsWith('chat.md', (t) => t.replace(/version: .*\n/, ''));
    expect(() => loadPrompts(dir)).toThrow(/chat\.md: front matter has no version/);
  });

  it('refuses to render with a value missing rather than leave a blank', () => {
    const p = loadPrompts();
    expect(() => render(p.chat, { context: 'x', question: 'y' })).toThrow(/no value for \{\{history\}\}/);
  });

  it('ANALYST_PROMPTS_DIR overrides the folder, and its version goes into the answer and the cache key', async () => {
    const dir = promptsWith('training-analyst.md', (t) => t.replace('version: 2', 'version: 7-test'));
    const { analyst } = await makeAnalyst({ ANALYST_PROMPTS_DIR: dir });
    expect(analyst.parts.prompts.analysis.version).toBe('7-test');
    const bad = promptsWith('chat.md', (t) => t.replace('{{history}}', '{{histroy}}'));
    await expect(makeAnalyst({ ANALYST_PROMPTS_DIR: bad })).rejects.toThrow(/unknown placeholder \{\{histroy\}\}/);
  });
});
