// Webhook bodies: the generic JSON alert, and the same content as a Slack or Discord message.
import type { Severity } from '../domain/findings.ts';
import type { Alert, WebhookFormat } from '../domain/webhooks.ts';
import { runPage } from './alerts.ts';

export type ConcreteFormat = Exclude<WebhookFormat, 'auto'>;

/** `auto` reads the receiver from its URL; anything unknown gets the generic JSON body. */
export function resolveFormat(format: WebhookFormat, url: string): ConcreteFormat {
  if (format !== 'auto') return format;
  const { hostname, pathname } = new URL(url);
  if (hostname === 'hooks.slack.com') return 'slack';
  if (/(^|\.)discord(app)?\.com$/.test(hostname) && pathname.startsWith('/api/webhooks')) return 'discord';
  return 'json';
}

const ICON: Record<Severity, string> = { info: '🔵', warning: '🟠', critical: '🔴' };
// Discord embed colours, as Slack's own palette uses them for the same meanings.
const COLOR: Record<Severity | 'resolved', number> = { info: 0x36c5f0, warning: 0xecb22e, critical: 0xe01e5a, resolved: 0x2eb67d };

function where(alert: Alert): string {
  return `${alert.run.project}/${alert.run.name}`;
}

/** One line a person reads first, in every chat format. */
export function alertTitle(alert: Alert): string {
  const kind = alert.finding?.kind.replace(/_/g, ' ');
  switch (alert.type) {
    case 'finding.raised':
      return `${ICON[alert.severity]} ${alert.severity}: ${kind} in ${where(alert)}`;
    case 'finding.escalated':
      return `${ICON[alert.severity]} escalated to ${alert.severity} (was ${alert.previous_severity}): ${kind} in ${where(alert)}`;
    case 'finding.resolved':
      return `✅ resolved: ${kind} in ${where(alert)}`;
    case 'run.stalled':
      return `⏸️ stalled: ${where(alert)}`;
    case 'run.finished':
      return `🏁 finished (${alert.detail?.status ?? 'completed'}): ${where(alert)}`;
    case 'run.failed':
      return `❌ failed: ${where(alert)}`;
    case 'webhook.test':
      return '🔔 test delivery from Training Analyst';
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) return String(Number(value.toPrecision(5)));
  return String(value);
}

function evidenceLines(alert: Alert): string[] {
  return Object.entries(alert.finding?.evidence ?? {}).map(([k, v]) => `${k} = ${formatValue(v)}`);
}

function position(alert: Alert): string | undefined {
  const parts: string[] = [];
  if (alert.finding?.step != null) parts.push(`step ${alert.finding.step}`);
  if (alert.finding?.epoch != null) parts.push(`epoch ${alert.finding.epoch}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack's mrkdwn treats &, < and > as control characters; user text must not form links. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackSection(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } };
}

function slackBody(alert: Alert) {
  const page = runPage(alert.run.url);
  const title = alertTitle(alert);
  const evidence = evidenceLines(alert);
  const actions = alert.finding?.actions ?? [];
  const at = position(alert);
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: true } },
    slackSection(slackEscape(alert.message)),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Run*\n<${page}|${slackEscape(alert.run.name)}>` },
        { type: 'mrkdwn', text: `*Project*\n${slackEscape(alert.run.project)}` },
        { type: 'mrkdwn', text: `*Severity*\n${alert.severity}` },
        ...(at ? [{ type: 'mrkdwn', text: `*Where*\n${at}` }] : []),
      ],
    },
  ];
  if (evidence.length > 0) blocks.push(slackSection(`*Evidence*\n${evidence.map((l) => `\`${slackEscape(l)}\``).join('\n')}`));
  if (actions.length > 0) blocks.push(slackSection(`*What to try*\n${actions.map((a) => `• ${slackEscape(a)}`).join('\n')}`));
  if (alert.analysis) blocks.push(slackSection(`*Analysis*\n${slackEscape(alert.analysis)}`));
  blocks.push({
    type: 'actions',
    elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: page }],
  });
  // `text` is what notifications and clients without blocks show.
  return { text: `${title}: ${slackEscape(alert.message)} <${page}|Open run>`, blocks };
}

function discordBody(alert: Alert) {
  const page = runPage(alert.run.url);
  const evidence = evidenceLines(alert);
  const actions = alert.finding?.actions ?? [];
  const at = position(alert);
  const field = (name: string, value: string, inline = false) => ({ name, value: truncate(value, 1024), inline });
  const fields = [
    field('Run', `[${alert.run.name}](${page})`, true),
    field('Project', alert.run.project, true),
    field('Severity', alert.severity, true),
  ];
  if (at) fields.push(field('Where', at, true));
  if (evidence.length > 0) fields.push(field('Evidence', evidence.join('\n')));
  if (actions.length > 0) fields.push(field('What to try', actions.map((a) => `• ${a}`).join('\n')));
  if (alert.analysis) fields.push(field('Analysis', alert.analysis));
  return {
    username: 'Training Analyst',
    // A metric name or message must never ping @everyone in the receiving channel.
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: truncate(alertTitle(alert), 256),
        url: page,
        description: truncate(alert.message, 4096),
        color: COLOR[alert.type === 'finding.resolved' ? 'resolved' : alert.severity],
        timestamp: new Date(alert.created_at).toISOString(),
        fields,
        footer: { text: `${alert.type} · ${alert.id}` },
      },
    ],
  };
}

/**
 * The body object for one attempt. The generic JSON body carries `sent_at` (equal to the
 * X-Analyst-Timestamp header) so the signature covers the time a receiver checks against replays.
 */
export function renderBody(alert: Alert, format: ConcreteFormat, sentAt: number): object {
  switch (format) {
    case 'json':
      return { ...alert, sent_at: sentAt };
    case 'slack':
      return slackBody(alert);
    case 'discord':
      return discordBody(alert);
  }
}
