// Where one attempt connects: the URL is checked, its host resolved, every resolved address
// checked, and the attempt then connects to that exact address (send.ts pins it), so a name that
// resolves to a public address here and to 127.0.0.1 a moment later (DNS rebinding) cannot move
// the connection.
import { lookup as dnsLookup } from 'node:dns/promises';
import { withTimeout } from '../shared/deadline.ts';
import { classifyAddress, parseIPv4, parseIPv6 } from '../shared/webhooks/address.ts';
import { checkWebhookUrl, describe, type WebhookUrlPolicy } from '../shared/webhooks/url.ts';

export interface Destination {
  url: URL;
  /** The checked address the connection goes to. */
  address: string;
  family: 4 | 6;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has. Default: the system resolver (dns.lookup). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface DestinationOptions {
  policy: WebhookUrlPolicy;
  /** Deadline for the DNS answer, in milliseconds. */
  timeoutMs: number;
  resolver?: Resolver;
}

/** A destination we cannot or will not connect to; the message goes into the delivery's error. */
export class DestinationError extends Error {
  override readonly name = 'DestinationError';
}

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export async function resolveDestination(urlText: string, options: DestinationOptions): Promise<Destination> {
  const checked = checkWebhookUrl(urlText, options.policy);
  if (!checked.ok) throw new DestinationError(checked.problem);
  const url = checked.url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIpLiteral(host)
    ? [{ address: host, family: host.includes(':') ? 6 : 4 }]
    : await resolve(host, options);
  if (addresses.length === 0) throw new DestinationError(`${host} has no address`);
  if (!options.policy.allowPrivate) {
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind !== 'public')
        throw new DestinationError(
          `${host} resolves to ${address}, a ${describe(kind)} address; webhooks go to public addresses only`,
        );
    }
  }
  const [first] = addresses as [ResolvedAddress];
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}

async function resolve(host: string, options: DestinationOptions): Promise<ResolvedAddress[]> {
  const resolver = options.resolver ?? systemResolver;
  try {
    return await withTimeout(resolver(host), {
      timeoutMs: options.timeoutMs,
      error: () => new DestinationError(`resolving ${host} took longer than ${options.timeoutMs} ms`),
    });
  } catch (error) {
    if (error instanceof DestinationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DestinationError(`${host} could not be resolved${code ? ` (${code})` : ''}`);
  }
}
