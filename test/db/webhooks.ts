// Webhook rows most webhook tests need, made the way an owner makes them (the RPC, as the owner).
import type { TestDatabase } from './harness.ts';
import type { Persona } from './personas.ts';

export const ALL_EVENTS = ['call.started', 'call.ended', 'message.created', 'message.updated', 'config_issue.opened'];

export interface CreatedEndpoint {
  id: string;
  secret: string;
}

export interface EndpointOptions {
  /** Default https://hooks.example.test/switchboard. */
  url?: string;
  /** Default every event. */
  events?: string[];
}

export async function createEndpoint(
  db: TestDatabase,
  owner: Persona,
  options: EndpointOptions = {},
): Promise<CreatedEndpoint> {
  const url = options.url ?? 'https://hooks.example.test/switchboard';
  const [row] = await db.as(
    owner,
    (sql) =>
      sql<{ created: { endpoint: { id: string }; secret: string } }[]>`
      select public.create_webhook_endpoint(${url}, ${options.events ?? ALL_EVENTS}::text[]) as created`,
  );
  return { id: row!.created.endpoint.id, secret: row!.created.secret };
}

/** A call row for `owner`, inserted as the worker does (service_role); returns its id. */
export async function startCall(db: TestDatabase, ownerId: string): Promise<string> {
  const [row] = await db.sql<{ id: string }[]>`
    insert into public.calls (room_name, owner_id, config_source, caller_number, dialed_number)
    values ('call-test', ${ownerId}, 'database', '+15550001111', '+15550100') returning id`;
  return row!.id;
}
