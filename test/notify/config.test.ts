// Notifier settings from the environment: defaults, durations, and refusals with the variable's name.
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../src/notify/config.ts';

describe('notifier settings from the environment', () => {
  it('starts with nothing set', () => {
    expect(settingsFromEnv({})).toMatchObject({ cooldownMs: 600_000, allowPrivate: false, envWebhook: null });
  });

  it('reads seconds or durations, the flag and the environment subscription', () => {
    const s = settingsFromEnv({
      ANALYST_ALERT_COOLDOWN: '2m',
      ANALYST_WEBHOOK_ALLOW_PRIVATE: '1',
      ANALYST_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      ANALYST_WEBHOOK_SECRET: 's3cret',
    });
    expect(s).toMatchObject({ cooldownMs: 120_000, allowPrivate: true });
    expect(s.envWebhook).toEqual({ url: 'https://hooks.slack.com/services/T/B/X', secret: 's3cret' });
    expect(settingsFromEnv({ ANALYST_WEBHOOK_URL: '' }).envWebhook).toBeNull();
  });

  it('refuses what it cannot read, naming the variable', () => {
    expect(() => settingsFromEnv({ ANALYST_ALERT_COOLDOWN: '-5' })).toThrow(/ANALYST_ALERT_COOLDOWN/);
    expect(() => settingsFromEnv({ ANALYST_WEBHOOK_URL: 'ftp://example.com/x' })).toThrow(/ANALYST_WEBHOOK_URL/);
  });
});
