// The offline narrator: writes analyses, tuning advice and chat answers from findings and numbers.
import type { ProposedSuggestion, StructuredAnswer } from '../../domain/analysis-request.ts';
import { fmt } from '../format.ts';
import type { AnalysisFacts, NarratorTask } from '../facts.ts';
import { bestLine, findingParagraph, openFindings, problems, statusLine, trendLines } from './describe.ts';
import { GUIDE } from './guide.ts';
import { suggestTuning } from './tuning.ts';

function headline(facts: AnalysisFacts): string {
  const { findings, resolved } = problems(facts);
  if (findings.length === 0) return 'No problem detected so far.';
  const names = findings.map((f) => `${GUIDE[f.kind].title} (${f.severity}${resolved ? ', since resolved' : ''})`);
  return `Main problem: ${names[0]}${names.length > 1 ? `; also ${names.slice(1).join(', ')}` : ''}.`;
}

function overview(facts: AnalysisFacts): string[] {
  const lines = [statusLine(facts), headline(facts)];
  const best = bestLine(facts);
  if (best) lines.push(best);
  return lines;
}

function analysis(facts: AnalysisFacts): string {
  const parts = [overview(facts).join(' ')];
  const trends = trendLines(facts);
  if (trends.length) parts.push(`Trends:\n- ${trends.join('\n- ')}`);
  const open = openFindings(facts);
  if (open.length) parts.push(`Findings:\n${open.map((f, i) => `${i + 1}. ${findingParagraph(f, true)}`).join('\n')}`);
  const resolved = facts.findings.filter((f) => f.status === 'resolved');
  if (resolved.length) parts.push(`Resolved earlier:\n${resolved.map((f) => `- ${findingParagraph(f, false)}`).join('\n')}`);
  const events = facts.recent.slice(-5).map((e) => e.text);
  if (events.length) parts.push(`Recent events: ${events.join('; ')}.`);
  return parts.join('\n\n');
}

function troubleshoot(facts: AnalysisFacts): string {
  const { findings } = problems(facts);
  if (findings.length === 0) {
    const lines = [statusLine(facts), 'No diagnostic rule has fired: no NaN loss, divergence, exploding or vanishing gradients, dead units, oscillation, plateau or overfitting.'];
    const best = bestLine(facts);
    if (best) lines.push(best);
    return lines.join(' ');
  }
  return [
    `${statusLine(facts)} ${headline(facts)}`,
    ...findings.map((f, i) => `${i + 1}. ${f.status === 'resolved' ? '(resolved) ' : ''}${findingParagraph(f, true)}`),
  ].join('\n\n');
}

function suggestionLines(suggestions: ProposedSuggestion[]): string {
  return suggestions
    .map((s) => `- ${s.parameter}: ${s.current === null ? '(not set)' : fmtValue(s.current)} → ${fmtValue(s.proposed)}. ${s.rationale}; expected: ${s.expected_effect} (confidence ${fmt(s.confidence)}).`)
    .join('\n');
}

const fmtValue = (v: unknown) => (typeof v === 'number' ? fmt(v) : String(v));

function tuning(facts: AnalysisFacts, suggestions: ProposedSuggestion[]): string {
  const head = overview(facts).join(' ');
  if (suggestions.length === 0) return `${head}\n\nNothing to change yet: no finding calls for a different setting.`;
  return `${head}\n\nSuggested changes for the next run:\n${suggestionLines(suggestions)}`;
}

/** Chat: answers the part of the run the question is about, with the numbers. */
function chat(facts: AnalysisFacts, question: string, suggestions: ProposedSuggestion[]): string {
  const q = question.toLowerCase();
  const open = openFindings(facts);
  const about = (re: RegExp) => re.test(q);
  if (about(/overfit|generali[sz]|gap|memori[sz]/)) {
    const f = open.find((x) => x.kind === 'overfitting');
    if (f) return `Yes. ${findingParagraph(f, true)}`;
    const tl = facts.series.find((s) => s.name === 'train_loss');
    const vl = facts.series.find((s) => s.name === 'val_loss');
    const gap = tl && vl ? ` Latest train_loss ${fmt(tl.last)} vs val_loss ${fmt(vl.last)} (best val_loss ${fmt(vl.best)}).` : '';
    return `No overfitting detected: validation has not turned worse while training improved.${gap}`;
  }
  if (about(/tun|hyper|learning rate|\blr\b|batch|weight.?decay|dropout|change|should i|improve/)) return tuning(facts, suggestions);
  if (about(/wrong|problem|issue|fix|diagnos|nan|diverg|explod|vanish|gradient|dead|oscillat|plateau|why/)) return troubleshoot(facts);
  if (about(/best|checkpoint/)) {
    const ckpt = facts.recent.filter((e) => e.type.startsWith('checkpoint')).slice(-3).map((e) => e.text);
    return [bestLine(facts) ?? 'No validation or loss metric has been logged yet.', ckpt.length ? `Latest checkpoints: ${ckpt.join('; ')}.` : ''].filter(Boolean).join(' ');
  }
  if (about(/progress|eta|how long|status|stop|continue|finish|done/)) {
    const p = facts.progress;
    const eta = p.eta_s !== null ? ` About ${fmt(Math.round(p.eta_s))} s left.` : '';
    return `${statusLine(facts)}${eta} ${headline(facts)} ${bestLine(facts) ?? ''}`.trim();
  }
  return analysis(facts);
}

/** The narrator's whole answer for a task: text plus (for every kind) its tuning suggestions. */
export function narrate(task: NarratorTask): StructuredAnswer {
  const { facts } = task;
  const suggestions = suggestTuning(facts);
  switch (task.kind) {
    case 'analysis':
      return { text: task.question ? chat(facts, task.question, suggestions) : analysis(facts), suggestions };
    case 'tuning':
      return { text: tuning(facts, suggestions), suggestions };
    case 'troubleshoot':
      return { text: troubleshoot(facts), suggestions };
    case 'chat':
      return { text: chat(facts, task.question ?? '', suggestions), suggestions };
  }
}
