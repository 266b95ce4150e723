// SSRF guard for webhook URLs: only http(s), and no loopback / private / link-local address unless
// the operator allows it, checked both when a subscription is made and on every connection.
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AnalystError } from '../domain/errors.ts';

// Two lists: BlockList checks IPv4 addresses against IPv6 rules as if mapped, so one list with
// ::ffff:0:0/96 in it would refuse every IPv4 address.
const BLOCKED_V4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, where cloud metadata services live
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  BLOCKED_V4.addSubnet(net, prefix, 'ipv4');
}
const BLOCKED_V6 = new BlockList();
for (const [net, prefix] of [
  ['::', 96], // the unspecified and loopback addresses, and IPv4-compatible ones (::127.0.0.1)
  ['::ffff:0:0:0', 96], // IPv4-translated (::ffff:0:127.0.0.1)
  ['64:ff9b::', 96], // NAT64: would reach any IPv4 address, including private ones
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED_V6.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:127.0.0.1` or `::ffff:7f00:1`). */
function mappedV4(address: string): string | undefined {
  const match = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(.+)$/i.exec(address);
  if (!match) return undefined;
  const tail = match[1];
  if (isIP(tail) === 4) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
  if (!hex) return undefined;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Raised when a webhook would connect to an address the guard refuses; never worth a retry. */
export class BlockedAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private or loopback address (set ANALYST_WEBHOOK_ALLOW_PRIVATE=1 to allow)`);
    this.name = 'BlockedAddressError';
  }
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED_V4.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = mappedV4(address);
  return v4 ? BLOCKED_V4.check(v4, 'ipv4') : BLOCKED_V6.check(address, 'ipv6');
}

/** URL hostnames keep IPv6 literals in brackets; the resolver wants them bare. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that refuses blocked addresses: the check is made on the address
 * the socket will actually use, so a DNS answer that changes after validation cannot slip through.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOneOptions & { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const blocked = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (blocked) return callback(new BlockedAddressError(hostname, blocked.address), '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      callback(null, first.address, first.family);
    });
  };
}

/** Throws BlockedAddressError when the URL's host is an IP literal the guard refuses. */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  const host = bareHost(url);
  if (!allowPrivate && isPrivateAddress(host)) throw new BlockedAddressError(host, host);
}

/**
 * Validates a subscription URL: http(s) only, and a host that does not resolve to a refused
 * address. A host that does not resolve right now is accepted (DNS may be down for a moment);
 * the connection-time guard still applies to every delivery.
 */
export async function assertWebhookUrl(raw: string, allowPrivate: boolean): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AnalystError('invalid_body', `not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AnalystError('invalid_body', `webhook URLs must be http or https, not ${url.protocol}`);
  }
  if (allowPrivate) return;
  const host = bareHost(url);
  try {
    checkLiteralHost(url, allowPrivate);
    if (isIP(host)) return;
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
    );
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) throw new BlockedAddressError(host, blocked.address);
  } catch (err) {
    if (err instanceof BlockedAddressError) throw new AnalystError('invalid_body', err.message);
  }
}
