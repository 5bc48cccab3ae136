// The webhooks function's database work, always as the caller: RLS decides what they see, and the
// owner RPCs (create_webhook_endpoint, rotate_webhook_secret, replay_webhook_delivery) check
// ownership themselves. Database refusals become 4xx with the database's own words.
import { AppError } from '../../../shared/errors.ts';
import type { Caller } from '../_shared/auth.ts';
import type { Database, Tx } from '../_shared/db.ts';
import type { CreateEndpointRequest, UpdateEndpointRequest } from './requests.ts';

const ENDPOINT_COLUMNS =
  'id, url, description, events, enabled, disabled_reason, failing_since, secret_rotated_at, created_at, updated_at';

export interface WebhookStore {
  list(caller: Caller): Promise<readonly unknown[]>;
  create(caller: Caller, body: CreateEndpointRequest): Promise<{ endpoint: unknown; secret: string }>;
  update(caller: Caller, id: string, body: UpdateEndpointRequest): Promise<unknown>;
  remove(caller: Caller, id: string): Promise<void>;
  rotate(caller: Caller, id: string): Promise<{ secret: string; previous_secret_expires_at: string }>;
  deliveries(
    caller: Caller,
    endpointId: string,
    page: { limit: number; before?: string | undefined },
  ): Promise<readonly unknown[]>;
  replay(caller: Caller, deliveryId: string): Promise<string>;
}

export function createWebhookStore(db: Database): WebhookStore {
  const as = <T>(caller: Caller, work: (tx: Tx) => Promise<T>) =>
    db.asCaller(caller, work).catch((error) => Promise.reject(refusal(error)));
  return {
    list: (caller) =>
      as(caller, (tx) => tx.unsafe(`select ${ENDPOINT_COLUMNS} from public.webhook_endpoints order by created_at`)),
    async create(caller, body) {
      const [row] = await as(
        caller,
        (tx) =>
          tx`select public.create_webhook_endpoint(${body.url}, ${body.events}::text[], ${body.description}, ${body.enabled}) as created`,
      );
      const created = row!.created as { endpoint: Record<string, unknown>; secret: string };
      const { owner_id: _owner, ...endpoint } = created.endpoint;
      return { endpoint, secret: created.secret };
    },
    async update(caller, id, body) {
      const rows = await as(
        caller,
        (tx) => tx`update public.webhook_endpoints set ${tx(body as Record<string, unknown>, ...Object.keys(body))}
        where id = ${id} returning ${tx.unsafe(ENDPOINT_COLUMNS)}`,
      );
      return rows[0] ?? notFound('webhook endpoint', id);
    },
    async remove(caller, id) {
      const rows = await as(caller, (tx) => tx`delete from public.webhook_endpoints where id = ${id} returning id`);
      if (rows.length === 0) notFound('webhook endpoint', id);
    },
    async rotate(caller, id) {
      const [row] = await as(caller, (tx) => tx`select public.rotate_webhook_secret(${id}) as rotated`);
      return row!.rotated;
    },
    async deliveries(caller, endpointId, page) {
      return await as(caller, async (tx) => {
        const [endpoint] = await tx`select id from public.webhook_endpoints where id = ${endpointId}`;
        if (!endpoint) notFound('webhook endpoint', endpointId);
        return tx`select d.id, 'msg_' || d.id as webhook_id, d.event_id, e.type as event_type, d.replay_of, d.status, d.attempts,
            d.next_attempt_at, d.last_attempt_at, d.status_code, d.duration_ms, d.error, d.response_body, d.created_at, d.completed_at
          from public.webhook_deliveries d join public.webhook_events e on e.id = d.event_id
          where d.endpoint_id = ${endpointId} ${page.before ? tx`and d.created_at < ${new Date(page.before)}` : tx``}
          order by d.created_at desc limit ${page.limit}`;
      });
    },
    async replay(caller, deliveryId) {
      const [row] = await as(caller, (tx) => tx`select public.replay_webhook_delivery(${deliveryId}) as id`);
      return row!.id as string;
    },
  };
}

function notFound(what: string, id: string): never {
  throw new AppError('not_found', `No ${what} ${id}.`);
}

/** The database's refusals, in its own words (message, then hint). */
function refusal(error: unknown): unknown {
  const { code, message, hint } = (error ?? {}) as { code?: string; message?: string; hint?: string };
  const text = [message, hint].filter(Boolean).join(' ');
  if (code === '23514' || code === '22023') return new AppError('invalid_request', text);
  if (code === 'P0002') return new AppError('not_found', `${message ?? 'Not found'}.`);
  if (code === '55000') return new AppError('unprocessable', text);
  if (code === '42501') return new AppError('forbidden', 'Only a signed-in owner can manage webhooks.');
  return error;
}
