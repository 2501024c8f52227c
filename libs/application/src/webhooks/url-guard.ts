import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** `::a.b.c.d`: the first 96 bits are zero (`::` and `::1` have ranges of their own, judged first). */
const isIpv4Compatible = (address: ipaddr.IPv6): boolean => address.parts.slice(0, 6).every((part) => part === 0);
const ipv4Of = (address: ipaddr.IPv6): string => {
  const [high, low] = address.parts.slice(6);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
};

/** Why a webhook URL may not be called. */
export class RefusedUrl extends Error {
  constructor(
    readonly reason: string,
    readonly url: string,
  ) {
    super(reason);
    this.name = 'RefusedUrl';
  }
}

/** A URL that passed the checks, with the one address to connect to (pinned: no second resolution). */
export interface CheckedTarget {
  url: URL;
  /** The hostname as written (for Host and TLS SNI), without IPv6 brackets. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * SSRF protection for webhook URLs: only http(s), and every address the host resolves to must be public
 * unicast (ipaddr.js's `unicast` range: not loopback, private, link-local — where cloud metadata lives —,
 * CGNAT, multicast, unspecified, reserved, 6to4/Teredo/NAT64 embeddings), unless it lies in an allowed CIDR.
 * IPv4-mapped IPv6 is judged as the IPv4 address it carries. IPv4-compatible IPv6 (`::/96`, deprecated by
 * RFC 4291, yet routed to the IPv4 address by some stacks) is always refused: named after the IPv4 range it
 * carries when that one is not public, `ipv4Compatible` otherwise.
 */
export class WebhookUrlGuard {
  private readonly allowed: Array<[Address, number]>;

  constructor(
    allowedCidrs: readonly string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    this.allowed = allowedCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Throws RefusedUrl, or returns the target to connect to. */
  async check(raw: string): Promise<CheckedTarget> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new RefusedUrl('not a valid URL', raw);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RefusedUrl(`only http and https URLs are allowed, not ${url.protocol.slice(0, -1)}`, raw);
    if (url.username || url.password) throw new RefusedUrl('credentials in the URL are not allowed', raw);
    // WHATWG URL parsing already turned 2130706433, 0x7f.0.0.1 or 0177.0.0.1 into 127.0.0.1.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let candidates: Array<{ address: string; family: number }>;
    const literal = ipaddr.isValid(hostname);
    if (literal) {
      candidates = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
    } else {
      try {
        candidates = await this.resolve(hostname);
      } catch (error) {
        throw new RefusedUrl(`the host ${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`, raw);
      }
      if (!candidates.length) throw new RefusedUrl(`the host ${hostname} does not resolve`, raw);
    }
    // Every address must pass: a host with one public and one private record could be steered to the private one.
    for (const candidate of candidates) {
      const verdict = this.verdict(candidate.address);
      if (verdict)
        throw new RefusedUrl(
          literal ? `${hostname} is a ${verdict} address` : `${hostname} resolves to ${candidate.address}, a ${verdict} address`,
          raw,
        );
    }
    const chosen = candidates[0];
    return { url, hostname, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
  }

  /** Null when the address may be called, else the name of its forbidden range. */
  verdict(address: string): string | null {
    if (!ipaddr.isValid(address)) return 'unparseable';
    const parsed = ipaddr.process(address);
    if (this.allowed.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))) return null;
    const range = parsed.range();
    if (range !== 'unicast') return range;
    if (parsed.kind() === 'ipv6' && isIpv4Compatible(parsed as ipaddr.IPv6)) {
      const embedded = ipaddr.IPv4.parse(ipv4Of(parsed as ipaddr.IPv6));
      const carried = embedded.range();
      return carried === 'unicast' ? 'ipv4Compatible' : carried;
    }
    return null;
  }
}
