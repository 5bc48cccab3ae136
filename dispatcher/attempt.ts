// One delivery attempt, as the queue job runs it: read what to send, sign, send, record. The
// database decides whether the delivery is still due (private.webhook_delivery_to_send) and what
// the outcome changes (private.record_webhook_attempt), each in its own short transaction; the
// HTTP request runs outside any transaction. A database error propagates, so the queue retries
// the job, and the retry sends the same webhook-id.
import { envelopeBody, type StoredWebhookEvent, webhookMessageId } from '../shared/webhooks/events.ts';
import { type DestinationOptions, DestinationError, resolveDestination } from './destination.ts';
import { nextAttemptAt } from './retry.ts';
import { type SendResult, sendWebhook, type SendOptions } from './send.ts';
import { signedHeaders } from './sign.ts';
import type { Queryable } from './queryable.ts';
import type { RecordSuccess } from './success_batch.ts';

export interface AttemptSettings {
  destination: DestinationOptions;
  /** Deadline of one HTTP attempt, in milliseconds. */
  timeoutMs: number;
  retryDelaysMs: readonly number[];
  /** An endpoint failing this long is disabled. */
  disableAfterMs: number;
  agents?: SendOptions['agents'];
  /** Records a success with others in one write (createSuccessBatcher). Default: one write each. */
  recordSuccess?: RecordSuccess;
}

interface DeliveryToSend {
  delivery_id: string;
  url: string;
  attempts: number;
  event_id: string;
  event_type: string;
  event_version: number;
  event_created_at: Date;
  event_data: Record<string, unknown>;
  secrets: string[];
}

export interface AttemptReport {
  deliveryId: string;
  /** 'skipped' when the delivery was settled, not due, or its endpoint is off. */
  status: 'skipped' | 'succeeded' | 'pending' | 'failed' | 'cancelled';
  result?: SendResult;
}

export async function attemptDelivery(
  db: Queryable,
  deliveryId: string,
  settings: AttemptSettings,
): Promise<AttemptReport> {
  const { rows } = await db.query<DeliveryToSend>('select * from private.webhook_delivery_to_send($1)', [deliveryId]);
  const delivery = rows[0];
  if (!delivery) return { deliveryId, status: 'skipped' };
  const result = await send(delivery, settings);
  if (result.ok && settings.recordSuccess) {
    const status = await settings.recordSuccess({
      deliveryId,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      responseBody: result.responseBody,
    });
    return { deliveryId, status: status ?? 'skipped', result };
  }
  const next = result.ok ? null : nextAttemptAt(delivery.attempts + 1, settings.retryDelaysMs, new Date());
  const recorded = await db.query<{ status: AttemptReport['status'] | null }>(
    'select private.record_webhook_attempt($1, $2, $3, $4, $5, $6, $7, $8) as status',
    [
      deliveryId,
      result.ok,
      result.statusCode,
      result.durationMs,
      result.error,
      result.responseBody,
      next,
      settings.disableAfterMs,
    ],
  );
  return { deliveryId, status: recorded.rows[0]?.status ?? 'skipped', result };
}

async function send(delivery: DeliveryToSend, settings: AttemptSettings): Promise<SendResult> {
  const startedAt = performance.now();
  const event: StoredWebhookEvent = {
    id: delivery.event_id,
    type: delivery.event_type,
    version: delivery.event_version,
    created_at: delivery.event_created_at,
    data: delivery.event_data,
  };
  const body = envelopeBody(event);
  try {
    const destination = await resolveDestination(delivery.url, settings.destination);
    const headers = signedHeaders(webhookMessageId(delivery.delivery_id), body, delivery.secrets, new Date());
    return await sendWebhook(destination, {
      headers: { ...headers },
      body,
      timeoutMs: settings.timeoutMs,
      ...(settings.agents ? { agents: settings.agents } : {}),
    });
  } catch (error) {
    if (!(error instanceof DestinationError)) throw error;
    return {
      ok: false,
      statusCode: null,
      durationMs: Math.round(performance.now() - startedAt),
      error: error.message,
      responseBody: null,
    };
  }
}
