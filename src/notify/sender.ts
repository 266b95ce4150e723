// One HTTP POST of a webhook body, with a hard time limit and the SSRF guard on the socket's address.
import http from 'node:http';
import https from 'node:https';
import { BlockedAddressError, checkLiteralHost, guardedLookup } from './url-guard.ts';

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the request early, e.g. when the service shuts down. */
  signal?: AbortSignal;
}

export type SendResult =
  | { ok: true; status: number; retryAfter?: string; body: string }
  | { ok: false; error: string; blocked: boolean };

/** Enough of a receiver's answer to explain a failure in the deliveries list. */
const MAX_RESPONSE_CHARS = 500;

/**
 * Posts `body` and resolves with the status, or with the error; it never rejects. Redirects are
 * not followed: a redirect could lead to an address the guard would have refused.
 */
export function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<SendResult> {
  const url = new URL(rawUrl);
  try {
    checkLiteralHost(url, options.allowPrivate);
  } catch (err) {
    return Promise.resolve({ ok: false, error: (err as Error).message, blocked: true });
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    // One deadline for connect, headers and body: a receiver that hangs at any stage is cut off.
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowPrivate) as never,
        signal,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_RESPONSE_CHARS) text += chunk;
        });
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ ok: true, status: res.statusCode ?? 0, retryAfter, body: text.slice(0, MAX_RESPONSE_CHARS) });
        });
        res.on('error', (err) => resolve(failure(err, timeout, options)));
      },
    );
    req.on('error', (err) => resolve(failure(err, timeout, options)));
    req.end(body);
  });
}

function failure(err: Error, timeout: AbortSignal, options: SendOptions): SendResult {
  if (timeout.aborted) return { ok: false, error: `no answer within ${options.timeoutMs} ms`, blocked: false };
  if (options.signal?.aborted) return { ok: false, error: 'cancelled: the service is stopping', blocked: false };
  if (err instanceof BlockedAddressError) return { ok: false, error: err.message, blocked: true };
  const code = (err as NodeJS.ErrnoException).code;
  return { ok: false, error: code ? `${code}: ${err.message}` : err.message, blocked: false };
}
