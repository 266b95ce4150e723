// The top bar's LLM badge: which model answers analyses and chat, from GET /llm; a click checks again.
import { getJson } from './api.js';

/** The badge's words and its hover text for one check. */
export function describeLlm(c) {
  const rtt = c.check.round_trip_ms === null ? '' : ` · ${Math.round(c.check.round_trip_ms)} ms`;
  const text = c.provider === 'offline' ? 'LLM: offline narrator' : `LLM: ${c.provider} ${c.model}${c.check.ok ? rtt : ' · failing'}`;
  const lines = [c.because];
  if (c.endpoint) lines.push(`endpoint: ${c.endpoint}`);
  if (c.accepted) lines.push(`accepts: ${c.accepted.structured_output}, ${c.accepted.output_cap}`);
  if (c.check.error) lines.push(`last check: ${c.check.error}`);
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  lines.push('click to check again');
  const state = c.provider === 'offline' ? 'offline' : !c.check.ok || c.circuit !== 'closed' ? 'failing' : 'ok';
  return { text, title: lines.join('\n'), state };
}

export function llmBadge(el) {
  const show = async (fresh) => {
    el.textContent = fresh ? 'LLM: checking…' : el.textContent;
    try {
      const d = describeLlm(await getJson(`/llm${fresh ? '?fresh=true' : ''}`));
      el.textContent = d.text;
      el.title = d.title;
      el.className = `llm ${d.state}`;
    } catch (err) {
      el.textContent = 'LLM: unknown';
      el.title = String(err.message ?? err);
      el.className = 'llm failing';
    }
  };
  el.addEventListener('click', () => show(true));
  void show(false);
}
