// A stand-in for a job process, for the host tests: a separate Node process that reaches the hub
// the way job.ts does (HubClient, HubConfigSource, HubCallStore under a DurableWrites queue),
// resolves one number, writes one call's row, prints what happened as one JSON line, and stays
// connected until its stdin closes.
//   node agent/host/testing/job_like_client.ts <socket path | -> <backend> <dialed number>
// <backend> is a database URL (postgres://…: the Postgres backend) or a Supabase project URL
// (http(s)://…: the Supabase backend, its key in SUPABASE_SERVICE_ROLE_KEY). It is used when the
// hub cannot be reached, and, with `-` for the socket path, for everything: the process then runs
// its own config source and call store, as a job process does with WORKER_HUB=off.
import { randomUUID } from 'node:crypto';
import { createCallStore, createConfigSource } from '../../config/create_config_source.ts';
import type { CallStore, ConfigSource } from '../../config/types.ts';
import type { ConfigBackendEnv } from '../../env.ts';
import { DurableWrites } from '../../store/durable_writes.ts';
import { HubCallStore } from '../hub_call_store.ts';
import { HubClient } from '../hub_client.ts';
import { HubConfigSource } from '../hub_config_source.ts';

const [socketPath, backendUrl, dialed] = process.argv.slice(2) as [string, string, string];
const backend: ConfigBackendEnv = /^https?:/.test(backendUrl)
  ? { kind: 'supabase', supabaseUrl: backendUrl, serviceRoleKey: process.env.SUPABASE_SERVICE_ROLE_KEY ?? '' }
  : { kind: 'postgres', databaseUrl: backendUrl };
const withHub = socketPath !== '-';

let client: HubClient | null = null;
let source: ConfigSource & { start(): Promise<void> };
let store: CallStore;
let heldWhileIdle: number;
let direct: () => number;
if (withHub) {
  client = new HubClient({ socketPath });
  const hubSource = new HubConfigSource(client);
  const hubStore = new HubCallStore(client, { direct: () => createCallStore(backend, { poolSize: 1 }) });
  await hubSource.start();
  heldWhileIdle = hubSource.heldNumbers;
  source = hubSource;
  store = hubStore;
  direct = () => hubStore.stats.direct;
} else {
  const ownSource = createConfigSource(backend, { postgres: { poolSize: 1 } });
  await ownSource.start();
  heldWhileIdle = 0; // it preloads nothing here (a job process with WORKER_HUB=off would)
  source = ownSource;
  store = createCallStore(backend, { poolSize: 1 });
  direct = () => 1;
}
const writes = new DurableWrites({ firstRetryDelayMs: 50, maxRetryDelayMs: 500 });

const answer = await source.resolve(dialed);
const callId = randomUUID();
await writes.enqueue({
  key: `call:${callId}`,
  what: 'call start',
  apply: async () => {
    await store.recordCall(callId, {
      room_name: `call-${callId}`,
      livekit_call_id: null,
      trunk_id: null,
      dispatch_rule_id: null,
      caller_number: null,
      dialed_number: dialed,
      owner_id: answer.resolved.config?.owner_id ?? null,
      agent_config_id: answer.resolved.config?.id ?? null,
      config_version: answer.resolved.config?.version ?? null,
      config_source: answer.origin,
      started_at: new Date().toISOString(),
    });
  },
});
process.stdout.write(
  `${JSON.stringify({ pid: process.pid, hubPid: client?.hubPid ?? null, heldWhileIdle, origin: answer.origin, callId, direct: direct() })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => {
  void source
    .close()
    .then(() => store.close?.())
    .then(() => process.exit(0));
});
