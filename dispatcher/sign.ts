// Standard Webhooks headers for one send. During the 24 h after a rotation the endpoint has two
// secrets and the signature header carries one signature per secret (space-separated); a
// receiver accepts the message when any of them matches.
import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  'content-type': 'application/json';
  'webhook-id': string;
  /** Unix seconds. */
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(
  messageId: string,
  body: string,
  secrets: readonly string[],
  sentAt: Date,
): SignedHeaders {
  if (secrets.length === 0) throw new Error('an endpoint without a signing secret cannot be sent to');
  return {
    'content-type': 'application/json',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, sentAt, body)).join(' '),
  };
}
