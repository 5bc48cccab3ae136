// webhooks (signed-in owners): manage webhook endpoints and look at deliveries.
//   GET    /webhooks/events                           the event types
//   GET    /webhooks/endpoints                        the caller's endpoints (never a secret)
//   POST   /webhooks/endpoints                        {url, events, description?, enabled?} -> 201 {endpoint, secret}
//   PATCH  /webhooks/endpoints/<id>                   {url?, events?, description?, enabled?} -> {endpoint}
//   DELETE /webhooks/endpoints/<id>                   -> 204
//   POST   /webhooks/endpoints/<id>/rotate            -> {secret, previous_secret_expires_at}
//   GET    /webhooks/endpoints/<id>/deliveries        ?limit=1..100&before=<time> -> {deliveries}
//   POST   /webhooks/deliveries/<id>/replay           -> 202 {delivery_id}
// The secret is in the answer to create and rotate only. README, "Webhooks".
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { WEBHOOK_EVENT_TYPES } from '../../../shared/webhooks/events.ts';
import type { WebhookUrlPolicy } from '../../../shared/webhooks/url.ts';
import { authOptionsFromEnv, type Caller, createAuthenticator, requireUser } from '../_shared/auth.ts';
import { parseJsonBody, validateBody } from '../_shared/body.ts';
import { createDatabase, type Database, databaseOptionsFromEnv } from '../_shared/db.ts';
import { functionEnv } from '../_shared/env.ts';
import { jsonResponse } from '../_shared/http.ts';
import { setLogLevel } from '../_shared/log.ts';
import { defineFunction, type FetchHandler } from '../_shared/serve.ts';
import { createEndpointSchema, listDeliveriesSchema, updateEndpointSchema } from './requests.ts';
import { createWebhookStore, type WebhookStore } from './store.ts';

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
export const WEBHOOKS_ENV = functionEnv({
  /** Accept http:// endpoint URLs (local development). */
  WEBHOOKS_ALLOW_HTTP: flag,
  /** Accept loopback, private and link-local destinations (local development). */
  WEBHOOKS_ALLOW_PRIVATE: flag,
});
export type WebhooksEnv = z.infer<typeof WEBHOOKS_ENV>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhooksApp {
  fetch: FetchHandler;
  close(): Promise<void>;
}

type Route = (caller: Caller, req: Request, id: string) => Promise<Response>;

export function createWebhooks(env: WebhooksEnv, overrides: { db?: Database } = {}): WebhooksApp {
  setLogLevel(env.LOG_LEVEL);
  const auth = createAuthenticator(authOptionsFromEnv(env));
  const db = overrides.db ?? createDatabase(env.SUPABASE_DB_URL, databaseOptionsFromEnv(env));
  const routes = createRoutes(createWebhookStore(db), {
    allowHttp: env.WEBHOOKS_ALLOW_HTTP,
    allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE,
  });
  const fetch = defineFunction({
    name: 'webhooks',
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowOrigin: env.CORS_ALLOW_ORIGIN,
    async handle(req) {
      const caller = requireUser(await auth.authenticate(req));
      const { route, id } = match(req, routes);
      return await route(caller, req, id);
    },
  });
  return { fetch, close: () => db.end() };
}

function createRoutes(store: WebhookStore, policy: WebhookUrlPolicy): Partial<Record<string, Route>> {
  const createSchema = createEndpointSchema(policy);
  const updateSchema = updateEndpointSchema(policy);
  return {
    'GET events': async () => jsonResponse({ events: WEBHOOK_EVENT_TYPES }),
    'GET endpoints': async (caller) => jsonResponse({ endpoints: await store.list(caller) }),
    'POST endpoints': async (caller, req) =>
      jsonResponse(await store.create(caller, await parseJsonBody(req, createSchema)), 201),
    'PATCH endpoints/:id': async (caller, req, id) =>
      jsonResponse({ endpoint: await store.update(caller, id, await parseJsonBody(req, updateSchema)) }),
    'DELETE endpoints/:id': async (caller, _req, id) => (
      await store.remove(caller, id), new Response(null, { status: 204 })
    ),
    'POST endpoints/:id/rotate': async (caller, _req, id) => jsonResponse(await store.rotate(caller, id)),
    'GET endpoints/:id/deliveries': async (caller, req, id) => {
      const page = validateBody(Object.fromEntries(new URL(req.url).searchParams), listDeliveriesSchema);
      return jsonResponse({ deliveries: await store.deliveries(caller, id, page) });
    },
    'POST deliveries/:id/replay': async (caller, _req, id) =>
      jsonResponse({ delivery_id: await store.replay(caller, id) }, 202),
  };
}

/** `/webhooks/endpoints/<uuid>/rotate` -> route 'POST endpoints/:id/rotate' and the id. */
function match(req: Request, routes: Partial<Record<string, Route>>): { route: Route; id: string } {
  const parts = new URL(req.url).pathname.split('/').filter(Boolean);
  const rest = parts[0] === 'webhooks' ? parts.slice(1) : parts;
  const id = rest[1] ?? '';
  const pattern = rest.map((part, index) => (index === 1 ? ':id' : part)).join('/');
  if (id && !UUID.test(id))
    throw new AppError(
      'not_found',
      `No ${rest[0] === 'deliveries' ? 'webhook delivery' : 'webhook endpoint'} ${id.slice(0, 80)}.`,
    );
  const route = routes[`${req.method} ${pattern}`];
  if (route) return { route, id };
  const allowed = Object.keys(routes)
    .filter((key) => key.endsWith(` ${pattern}`))
    .map((key) => key.split(' ')[0]);
  if (allowed.length > 0)
    throw new AppError(
      'method_not_allowed',
      `/webhooks/${pattern.replace(':id', '<id>')} accepts ${allowed.join(' or ')}, not ${req.method}.`,
    );
  throw new AppError(
    'not_found',
    `No such webhooks route: ${req.method} /webhooks/${rest.join('/').slice(0, 100)}. See GET /webhooks/endpoints.`,
  );
}
