// Turns what providers' client libraries throw into ProviderError, so retry logic reads one shape.
import { ProviderError } from './provider.ts';

function retryAfterMs(headers: unknown): number | undefined {
  const get = (headers as { get?: (k: string) => string | null } | undefined)?.get;
  const raw = typeof get === 'function' ? get.call(headers, 'retry-after') : undefined;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function toProviderError(error: unknown, provider: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = error as { status?: unknown; status_code?: unknown; headers?: unknown; message?: string; name?: string };
  const status = typeof e?.status === 'number' ? e.status : typeof e?.status_code === 'number' ? e.status_code : undefined;
  const message = (e?.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
  return new ProviderError(`${provider}: ${status ? `HTTP ${status}: ` : ''}${message}`, status, retryAfterMs(e?.headers));
}
