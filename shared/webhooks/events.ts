// The webhook events and their envelope. The database builds `data` (private.webhook_call and
// friends) and the dispatcher wraps it; the version changes only for incompatible changes, and
// new fields may appear in any version.

export const WEBHOOK_EVENT_TYPES = [
  'call.started',
  'call.ended',
  'message.created',
  'message.updated',
  'config_issue.opened',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** What a receiver gets as the request body. */
export interface WebhookEnvelope {
  type: WebhookEventType;
  version: number;
  /** The event's id: the same across endpoints, retries and replays. */
  id: string;
  /** When the event happened, ISO 8601 UTC. */
  created_at: string;
  data: Record<string, unknown>;
}

export interface StoredWebhookEvent {
  id: string;
  type: string;
  version: number;
  created_at: Date;
  data: Record<string, unknown>;
}

/** The exact bytes that are signed and sent; retries of a delivery send the same bytes. */
export function envelopeBody(event: StoredWebhookEvent): string {
  const envelope = {
    type: event.type,
    version: event.version,
    id: event.id,
    created_at: event.created_at.toISOString(),
    data: event.data,
  };
  return JSON.stringify(envelope);
}

/** The webhook-id header of a delivery: the same on every retry of it; a replay is a new delivery. */
export function webhookMessageId(deliveryId: string): string {
  return `msg_${deliveryId}`;
}
