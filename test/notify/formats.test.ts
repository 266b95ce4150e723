// Slack and Discord bodies as real receivers get them, and how `auto` picks a format.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveFormat } from '../../src/notify/formats.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, subscribe, tempStore, until } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Subscribes a receiver with a format, makes one alert and returns the body the receiver got. */
async function deliveredBody(format: 'slack' | 'discord', change = raised(finding('nan_loss', 'critical'))) {
  const rx = await startReceiver();
  const t = tempStore();
  const notifier = await makeNotifier(t.store);
  cleanups.push(t.cleanup, () => notifier.stop(), () => rx.close());
  await subscribe(notifier, rx.url, { format });
  notifier.start();
  await notifier.onFindingChanges({ ...RUN, name: 'resnet<50>' }, [change], Date.parse('2026-11-21T10:00:00Z'));
  const [req] = await until(() => rx.received.length === 1 && rx.received);
  expect(req.headers['x-analyst-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  return JSON.parse(req.body);
}

describe('chat formats', () => {
  it('sends Slack a Block Kit message with the finding and a link to the run', async () => {
    const body = await deliveredBody('slack');
    expect(body.text).toBe('🔴 critical: nan loss in vision/resnet<50>: nan_loss seen at step 1200 <http://analyst.test:8787/#/run/run-1|Open run>');
    const [header, message, fields, evidence, actions, buttons] = body.blocks;
    expect(header).toEqual({ type: 'header', text: { type: 'plain_text', text: '🔴 critical: nan loss in vision/resnet<50>', emoji: true } });
    expect(message).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'nan_loss seen at step 1200' } });
    expect(fields.fields).toEqual([
      // Names are escaped so they cannot break out of the link.
      { type: 'mrkdwn', text: '*Run*\n<http://analyst.test:8787/#/run/run-1|resnet&lt;50&gt;>' },
      { type: 'mrkdwn', text: '*Project*\nvision' },
      { type: 'mrkdwn', text: '*Severity*\ncritical' },
      { type: 'mrkdwn', text: '*Where*\nstep 1200, epoch 3' },
    ]);
    expect(evidence.text.text).toBe('*Evidence*\n`loss = NaN`\n`best_loss = 0.4322`\n`grad_norm = 1000000`');
    expect(actions.text.text).toBe('*What to try*\n• lower lr from 0.5 to 0.05\n• enable gradient clipping at 1.0');
    expect(buttons).toEqual({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: 'http://analyst.test:8787/#/run/run-1' }],
    });
    expect(body.blocks).toHaveLength(6);
  });

  it('sends Discord an embed with fields, colour, time and a link to the run', async () => {
    const resolved = finding('overfitting', 'warning', { status: 'resolved', message: 'validation loss is falling again' });
    const body = await deliveredBody('discord', { type: 'finding_resolved', finding: resolved });
    expect(body.username).toBe('Training Analyst');
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    const [embed] = body.embeds;
    expect(embed).toMatchObject({
      title: '✅ resolved: overfitting in vision/resnet<50>',
      url: 'http://analyst.test:8787/#/run/run-1',
      description: 'validation loss is falling again',
      color: 0x2eb67d,
      timestamp: '2026-11-21T10:00:00.000Z',
    });
    expect(embed.fields).toEqual([
      { name: 'Run', value: '[resnet<50>](http://analyst.test:8787/#/run/run-1)', inline: true },
      { name: 'Project', value: 'vision', inline: true },
      { name: 'Severity', value: 'warning', inline: true },
      { name: 'Where', value: 'step 1200, epoch 3', inline: true },
      { name: 'Evidence', value: 'loss = NaN\nbest_loss = 0.4322\ngrad_norm = 1000000', inline: false },
      { name: 'What to try', value: '• lower lr from 0.5 to 0.05\n• enable gradient clipping at 1.0', inline: false },
    ]);
    expect(embed.footer.text).toMatch(/^finding\.resolved · [0-9a-f-]{36}$/);
  });

  it('keeps Discord within its field limits', async () => {
    const long = finding('divergence', 'critical', { actions: ['x'.repeat(2000)] });
    const body = await deliveredBody('discord', raised(long));
    const actions = body.embeds[0].fields.find((f: { name: string }) => f.name === 'What to try');
    expect(actions.value).toHaveLength(1024);
    expect(actions.value.endsWith('…')).toBe(true);
  });

  it('picks the format from the URL when asked for auto', () => {
    expect(resolveFormat('auto', 'https://hooks.slack.com/services/T000/B000/XXXX')).toBe('slack');
    expect(resolveFormat('auto', 'https://discord.com/api/webhooks/123/abc')).toBe('discord');
    expect(resolveFormat('auto', 'https://discordapp.com/api/webhooks/123/abc')).toBe('discord');
    expect(resolveFormat('auto', 'https://ptb.discord.com/api/webhooks/123/abc')).toBe('discord');
    expect(resolveFormat('auto', 'https://discord.com/channels/1/2')).toBe('json');
    expect(resolveFormat('auto', 'https://hooks.slack.com.evil.example/services/x')).toBe('json');
    expect(resolveFormat('auto', 'https://example.com/hook')).toBe('json');
    expect(resolveFormat('slack', 'https://example.com/hook')).toBe('slack');
  });
});
