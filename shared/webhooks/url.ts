// The rule for a webhook URL, checked when an endpoint is saved (the webhooks function) and again
// before each delivery (the dispatcher, which also checks every address the host resolves to).
// Messages can be shown to the owner as they are.
import { classifyAddress, parseIPv4, parseIPv6 } from './address.ts';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface WebhookUrlPolicy {
  /** Accept http:// as well as https:// (local development and tests only). */
  allowHttp: boolean;
  /** Accept loopback, private, link-local and other non-public destinations (local development and tests only). */
  allowPrivate: boolean;
}

export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

/** Host names that never leave the machine or the local network. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|home\.arpa|localdomain)$/i;

export function checkWebhookUrl(text: string, policy: WebhookUrlPolicy): WebhookUrlCheck {
  if (text.length > MAX_WEBHOOK_URL_LENGTH)
    return refuse(`url is ${text.length} characters long; the limit is ${MAX_WEBHOOK_URL_LENGTH}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('url is not a valid URL; write it like https://example.com/webhooks');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return refuse(`url must start with https:// (got ${url.protocol.slice(0, 20)}//)`);
  }
  if (url.username || url.password)
    return refuse('url must not contain a user name or password; check the signature instead');
  if (policy.allowPrivate) return { ok: true, url };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (parseIPv4(host) !== null || parseIPv6(host) !== null) {
    const kind = classifyAddress(host);
    return kind === 'public'
      ? { ok: true, url }
      : refuse(`url points at a ${describe(kind)} address (${host}); webhooks go to public addresses only`);
  }
  if (LOCAL_NAMES.test(host) || !host.includes('.')) {
    return refuse(`url host ${host} is a local name; webhooks go to public addresses only`);
  }
  return { ok: true, url };
}

export function describe(kind: string): string {
  return kind === 'link_local' ? 'link-local' : kind === 'metadata' ? 'cloud metadata' : kind;
}

function refuse(problem: string): WebhookUrlCheck {
  return { ok: false, problem };
}
