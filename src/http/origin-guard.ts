// Which Host and Origin headers the service answers: the defence against DNS rebinding and
// against web pages that post to a service on the visitor's own machine.
import { hostname as machineName } from 'node:os';
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { AnalystError } from '../domain/errors.ts';
import { SOURCE_INSTANCE_HEADER } from '../domain/streams.ts';

export interface OriginPolicyOptions {
  /** The address the server binds (ANALYST_HOST). */
  bind: string;
  /** ANALYST_PUBLIC_URL: the address behind a reverse proxy. */
  publicUrl?: string;
  /** ANALYST_ALLOWED_HOSTS: more names the service is reached by (`.example.com` for every subdomain, `*` for any). */
  allowedHosts: string[];
  /** This process's id, sent by its own upstream sources. */
  instance: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WILDCARD_BINDS = new Set(['', '0.0.0.0', '::', '[::]']);

/** `host:port` or `[v6]:port` without the port, lower-cased. */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function matches(name: string, pattern: string): boolean {
  return pattern === '*' || name === pattern || (pattern.startsWith('.') && (name.endsWith(pattern) || name === pattern.slice(1)));
}

export class OriginPolicy {
  private readonly names: string[];
  private readonly userNames: string[];
  private readonly publicOrigin: string | undefined;

  constructor(private readonly opts: OriginPolicyOptions) {
    this.userNames = opts.allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
    this.publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin.toLowerCase() : undefined;
    const bind = opts.bind.toLowerCase();
    this.names = [...this.userNames, 'localhost', '.localhost'];
    if (this.publicOrigin) this.names.push(new URL(this.publicOrigin).hostname.replace(/^\[|\]$/g, ''));
    if (WILDCARD_BINDS.has(bind)) this.names.push(machineName().toLowerCase());
    else this.names.push(hostnameOf(bind));
  }

  /**
   * A Host header is answered when it names the service: an IP address (a page can only send
   * one when its own origin is that address, which DNS rebinding cannot fake), localhost, the
   * bound name, the public URL's host, or a name the operator allowed.
   */
  hostAllowed(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined || hostHeader === '') return true;
    const name = hostnameOf(hostHeader);
    return isIP(name) !== 0 || this.names.some((p) => matches(name, p));
  }

  /**
   * A browser's request may change data only from the service's own pages: its Origin is the
   * request's own host, the public URL, or an allowed host. Without Origin, `Sec-Fetch-Site`
   * still tells a cross-site request; clients that are not browsers send neither.
   */
  originAllowed(origin: string | undefined, fetchSite: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none';
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (a sandboxed page, a file) or garbage
    }
    if (hostHeader !== undefined && url.host.toLowerCase() === hostHeader.trim().toLowerCase()) return true;
    if (url.origin.toLowerCase() === this.publicOrigin) return true;
    const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return this.userNames.some((p) => matches(name, p));
  }

  /** The reason to refuse a request, or undefined to serve it. `write`: the request may change data. */
  refusal(h: { host?: string; origin?: string; fetchSite?: string; instance?: string }, write: boolean): AnalystError | undefined {
    if (h.instance !== undefined && h.instance === this.opts.instance) {
      return new AnalystError('forbidden', 'this request comes from one of this service\'s own upstream sources: a source cannot read the service itself');
    }
    if (!this.hostAllowed(h.host)) {
      return new AnalystError(
        'forbidden',
        `host ${JSON.stringify(h.host)} is not a name of this service; if it is (a reverse proxy, a DNS name), add it to ANALYST_ALLOWED_HOSTS or set ANALYST_PUBLIC_URL`,
      );
    }
    if (write && !this.originAllowed(h.origin, h.fetchSite, h.host)) {
      return new AnalystError(
        'forbidden',
        `cross-origin request refused (Origin ${h.origin ?? '(none)'}, Sec-Fetch-Site ${h.fetchSite ?? '(none)'}): only this service's own pages may change data; add the page's host to ANALYST_ALLOWED_HOSTS to allow it`,
      );
    }
    return undefined;
  }
}

/** The policy on every HTTP route, the dashboard's included; the WebSocket upgrade checks it too. */
export function originGuard(policy: OriginPolicy): MiddlewareHandler {
  return async (c, next) => {
    const refused = policy.refusal(
      {
        host: c.req.header('host'),
        origin: c.req.header('origin'),
        fetchSite: c.req.header('sec-fetch-site'),
        instance: c.req.header(SOURCE_INSTANCE_HEADER),
      },
      !SAFE_METHODS.has(c.req.method),
    );
    if (refused) throw refused;
    return next();
  };
}
