// A stand-in for a job process, for the host tests: a separate Node process that reaches the hub
// the way job.ts does (HubClient, HubConfigSource, HubCallStore under a DurableWrites queue),
// resolves one number, writes one call's row, prints what happened as one JSON line, and stays
// connected until its stdin closes.
//   node agent/host/testing/job_like_client.ts <socket path> <database url> <dialed number>
import { randomUUID } from 'node:crypto';
import { createCallStore } from '../../config/create_config_source.ts';
import { DurableWrites } from '../../store/durable_writes.ts';
import { HubCallStore } from '../hub_call_store.ts';
import { HubClient } from '../hub_client.ts';
import { HubConfigSource } from '../hub_config_source.ts';

const [socketPath, databaseUrl, dialed] = process.argv.slice(2) as [string, string, string];
const client = new HubClient({ socketPath });
const source = new HubConfigSource(client);
const store = new HubCallStore(client, {
  direct: () => createCallStore({ kind: 'postgres', databaseUrl }, { poolSize: 1 }),
});
const writes = new DurableWrites({ firstRetryDelayMs: 50, maxRetryDelayMs: 500 });

await source.start();
const heldWhileIdle = source.heldNumbers;
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
  `${JSON.stringify({ pid: process.pid, hubPid: client.hubPid, heldWhileIdle, origin: answer.origin, callId, direct: store.stats.direct })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => {
  void source
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
