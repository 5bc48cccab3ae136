// One HTTP POST of a webhook to a checked address: redirects are not followed, one deadline
// covers connecting, sending and the response, and the first 1 KB of the response body is kept.
// Never throws: every outcome, including a refused connection or a timeout, is a SendResult.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Destination } from './destination.ts';

/** Bytes of the response body kept for the owner to see. */
export const RESPONSE_BODY_LIMIT = 1024;

export interface SendResult {
  ok: boolean;
  /** The HTTP status, or null when no response arrived. */
  statusCode: number | null;
  durationMs: number;
  /** Why it failed (null on success). Never contains the body we sent or a secret. */
  error: string | null;
  /** The first RESPONSE_BODY_LIMIT bytes, as UTF-8 text; null when no response arrived. */
  responseBody: string | null;
}

export interface SendOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Keep-alive agents; connections are reused only for the same host and port. */
  agents?: { http: http.Agent; https: https.Agent };
}

export function createAgents(maxSockets: number): { http: http.Agent; https: https.Agent } {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets }),
    https: new https.Agent({ keepAlive: true, maxSockets }),
  };
}

export function sendWebhook(destination: Destination, options: SendOptions): Promise<SendResult> {
  const startedAt = performance.now();
  const { url } = destination;
  const secure = url.protocol === 'https:';
  return new Promise((resolve) => {
    let status: number | null = null;
    let location: string | undefined;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ok = error === null && status !== null && status >= 200 && status < 300;
      const failure = error ?? (ok ? null : statusError(status, location));
      resolve({
        ok,
        statusCode: status,
        durationMs: Math.round(performance.now() - startedAt),
        error: failure,
        responseBody: status === null ? null : bodyText(kept),
      });
    };
    const request = (secure ? https : http).request({
      method: 'POST',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: {
        ...options.headers,
        'content-length': String(Buffer.byteLength(options.body)),
        'user-agent': 'Switchboard-Webhooks/1',
      },
      lookup: pinnedLookup(destination),
      agent: options.agents ? (secure ? options.agents.https : options.agents.http) : false,
    });
    const timer = setTimeout(() => {
      // A response whose status arrived in time counts; only its body is cut short.
      if (status !== null) finish(null);
      else finish(`timed out after ${options.timeoutMs} ms`);
      request.destroy();
    }, options.timeoutMs);
    request.on('response', (response) => {
      status = response.statusCode ?? null;
      location = response.headers.location;
      response.on('data', (chunk: Buffer) => {
        if (keptBytes < RESPONSE_BODY_LIMIT) {
          kept.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - keptBytes));
          keptBytes += Math.min(chunk.length, RESPONSE_BODY_LIMIT - keptBytes);
        }
      });
      response.on('end', () => finish(null));
      response.on('error', () => finish(null));
      response.on('aborted', () => finish(null));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(connectionError(error)));
    request.end(options.body);
  });
}

/** Connects to the address that was checked, whatever the host name resolves to now. */
function pinnedLookup(destination: Destination): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: destination.address, family: destination.family },
      ]);
    else callback(null, destination.address, destination.family);
  };
}

function statusError(status: number | null, location: string | undefined): string {
  if (status !== null && status >= 300 && status < 400)
    return `HTTP ${status}: redirects are not followed${location ? ` (Location: ${location.slice(0, 200)})` : ''}`;
  return `HTTP ${status}`;
}

function connectionError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection closed before a response';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS: the certificate is not valid for ${(error as { host?: string }).host ?? 'this host'} (${error.code})`;
    case 'CERT_HAS_EXPIRED':
      return `TLS: the certificate has expired (${error.code})`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      // Node's own text suggests --use-system-ca, which is no advice for the receiver's owner.
      return `TLS: the certificate is not trusted (${error.code}); use one from a public certificate authority, with its intermediates`;
    default:
      return error.code ? `${error.code}: ${error.message}`.slice(0, 300) : error.message.slice(0, 300);
  }
}

/** UTF-8 text of at most RESPONSE_BODY_LIMIT bytes, without NUL (Postgres text cannot hold it). */
function bodyText(chunks: Buffer[]): string {
  let text = Buffer.concat(chunks).toString('utf8').replaceAll('\u0000', '');
  while (Buffer.byteLength(text) > RESPONSE_BODY_LIMIT) text = text.slice(0, -1);
  return text;
}
