// The SSRF guard: which addresses a webhook may reach, at subscription time and at connection time.
import { afterEach, describe, expect, it } from 'vitest';
import { AnalystError } from '../../src/domain/errors.ts';
import { CreateWebhookInput } from '../../src/domain/webhooks.ts';
import { assertWebhookUrl, isPrivateAddress } from '../../src/notify/url-guard.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, subscribe, tempStore, until } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('SSRF guard', () => {
  it('knows loopback, private, link-local and mapped addresses', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:7f00:1', '64:ff9b::a00:1', '::7f00:1', '::ffff:0:7f00:1', '::ffff:0:a00:1']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it('refuses other schemes and private hosts when subscribing, unless private addresses are allowed', async () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/x', 'http://10.0.0.5/x', 'http://[::127.0.0.1]/x', 'http://[::ffff:0:127.0.0.1]/x']) {
      const err = await assertWebhookUrl(url, false).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(AnalystError);
      expect((err as AnalystError).code).toBe('invalid_body');
      expect((err as Error).message).toMatch(/private or loopback/);
      await expect(assertWebhookUrl(url, true)).resolves.toBeUndefined();
    }
    await expect(assertWebhookUrl('ftp://example.com/x', true)).rejects.toThrow(/http or https/);
    await expect(assertWebhookUrl('http://93.184.216.34/hook', false)).resolves.toBeUndefined();
    // DNS that does not answer now is no reason to refuse; the connection-time check still applies.
    await expect(assertWebhookUrl('https://no-such-host.invalid/hook', false)).resolves.toBeUndefined();
    expect(CreateWebhookInput.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(CreateWebhookInput.safeParse({ url: 'javascript:alert(1)' }).success).toBe(false);
    expect(CreateWebhookInput.parse({ url: 'https://example.com/hook' })).toMatchObject({ min_severity: 'warning', format: 'auto', include_analysis: false });
  });

  it('checks the address it connects to, so a subscription that slipped through is still refused', async () => {
    const rx = await startReceiver();
    const t = tempStore();
    cleanups.push(t.cleanup, () => rx.close());
    // Subscriptions made while private addresses were allowed, then the operator turned that off.
    const permissive = await makeNotifier(t.store, { allowPrivate: true });
    const literal = await subscribe(permissive, rx.url);
    const named = await subscribe(permissive, rx.url.replace('127.0.0.1', 'localhost'));
    const strict = await makeNotifier(t.store, { allowPrivate: false });
    cleanups.push(() => strict.stop());
    strict.start();
    await strict.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    for (const hook of [literal, named]) {
      const dead = await until(async () => (await strict.listDeliveries(hook.id)).find((d) => d.status === 'dead'));
      expect(dead.attempts).toBe(1);
      expect(dead.last_error).toMatch(/resolves to (127\.0\.0\.1|::1), a private or loopback address/);
    }
    expect(rx.received).toHaveLength(0);
  });
});
