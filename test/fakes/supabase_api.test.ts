// The Supabase fakes answer real supabase-js the way PostgREST and Realtime do: keys and roles,
// GRANTs and RLS from the real database, PostgREST error bodies and statuses, and Phoenix v2
// joins whose bindings the client accepts.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, seedAgent } from '../../agent/config/_test_fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../db/harness.ts';
import { statusForSqlState } from './postgrest.ts';
import { signFakeJwt } from './postgrest_auth.ts';
import { startSupabaseFake, type SupabaseFake } from './supabase_api.ts';
import { DEFAULT_REALTIME_KNOBS } from './supabase_realtime.ts';

let db: TestDatabase;
let fake: SupabaseFake;
const clients: SupabaseClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startSupabaseFake({ databaseUrl: db.url });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.removeAllChannels()));
  await fake.close();
  await db.close();
});

function client(key: string, accessToken?: string): SupabaseClient {
  const c = createClient(fake.url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    ...(accessToken ? { accessToken: async () => accessToken } : {}),
  });
  clients.push(c);
  return c;
}

async function userToken(userId: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return signFakeJwt(fake.keys, { sub: userId, role: 'authenticated', aud: 'authenticated', iat, exp: iat + 3600 });
}

describe('PostgREST RPC fake', () => {
  it('runs a function as service_role and returns its jsonb', async () => {
    const agent = await seedAgent(db);
    const { data, error, status } = await client(fake.serviceRoleKey).rpc('resolve_agent_config', {
      p_dialed_number: agent.e164,
    });
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toMatchObject({ dialed_number: agent.e164, config: { id: agent.configId, version: 1 } });
  });

  it('accepts an sb_secret_ key as service_role', async () => {
    const { error, status } = await client(fake.keys.secretKey).rpc('resolve_agent_config', {
      p_dialed_number: '+15551234567',
    });
    expect({ error, status }).toEqual({ error: null, status: 200 });
  });

  it('refuses anon with 401 and a signed-in user with 403 on a service-only function (42501)', async () => {
    const anon = await client(fake.anonKey).rpc('resolve_agent_config', { p_dialed_number: '+15551234567' });
    expect(anon.status).toBe(401);
    expect(anon.error).toMatchObject({
      code: '42501',
      message: expect.stringMatching(/permission denied for function resolve_agent_config/),
    });

    const owner = await db.createUser();
    const user = await client(fake.anonKey, await userToken(owner.userId!)).rpc('resolve_agent_config', {
      p_dialed_number: '+15551234567',
    });
    expect(user.status).toBe(403);
    expect(user.error).toMatchObject({ code: '42501', details: null, hint: null });
  });

  it('answers PGRST202 404 for an unknown function or parameter name, naming the right call', async () => {
    const { error, status } = await client(fake.serviceRoleKey).rpc('resolve_agent_config', { dialed: '+15551234567' });
    expect(status).toBe(404);
    expect(error).toMatchObject({
      code: 'PGRST202',
      hint: expect.stringContaining('resolve_agent_config(p_dialed_number)'),
    });
  });

  it('rejects a forged JWT and a request without apikey with 401', async () => {
    const forged = `${fake.serviceRoleKey.slice(0, -4)}AAAA`;
    const bad = await client(forged).rpc('resolve_agent_config', { p_dialed_number: '+15551234567' });
    expect(bad.status).toBe(401);
    expect(bad.error).toMatchObject({ code: 'PGRST301' });
    const res = await fetch(`${fake.url}/rest/v1/rpc/resolve_agent_config`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });

  it('maps a database error to its PostgREST status and body, and a void function to 204', async () => {
    const service = client(fake.serviceRoleKey);
    const missing = await service.rpc('record_call_end', {
      p_call_id: crypto.randomUUID(),
      p: { end_reason: 'error' },
    });
    expect(missing.status).toBe(500); // P0002: every P0 but P0001 is a 500
    expect(missing.error).toMatchObject({ code: 'P0002', hint: 'Pass the id record_call_start returned.' });

    const id = await service.rpc('record_call_start', { p: { room_name: 'r1', config_source: 'nowhere' } });
    expect(id.status).toBe(400); // 23514 check violation
    expect(id.error).toMatchObject({ code: '23514', message: expect.stringContaining('calls_config_source_check') });

    const started = await service.rpc('record_call_start', { p: { room_name: 'r1', config_source: 'default' } });
    const ended = await service.rpc('record_call_end', {
      p_call_id: started.data as string,
      p: { end_reason: 'error' },
    });
    expect({ status: ended.status, data: ended.data, error: ended.error }).toEqual({
      status: 204,
      data: null,
      error: null,
    });
  });

  it('maps SQLSTATEs as PostgREST does', () => {
    expect([
      statusForSqlState('23505', true),
      statusForSqlState('42501', false),
      statusForSqlState('42883', true),
      statusForSqlState('08006', true),
      statusForSqlState('53400', true),
      statusForSqlState('PT418', true),
      statusForSqlState('22P02', true),
    ]).toEqual([409, 401, 404, 503, 500, 418, 400]);
  });
});

describe('Realtime fake', () => {
  beforeEach(async () => {
    Object.assign(fake.realtime.knobs, DEFAULT_REALTIME_KNOBS);
    // The project's limits count every channel: start each case with none.
    await Promise.all(clients.map((c) => c.removeAllChannels()));
  });

  /** A service_role channel on one table and event, subscribed (the server held the join until ready). */
  async function serviceChannel(
    name: string,
    table: string,
    event: 'UPDATE' | 'DELETE',
    onChange: (payload: unknown) => void,
  ): Promise<void> {
    const statuses: string[] = [];
    client(fake.serviceRoleKey)
      .channel(name, { config: { postgres_changes_options: { wait: true } } })
      .on('postgres_changes', { event, schema: 'public', table }, onChange)
      .subscribe((status) => statuses.push(status));
    await eventually(() => statuses.includes('SUBSCRIBED') || undefined);
  }

  it('streams changes a subscriber may see (RLS as that user), with the row and typed columns', async () => {
    const agent = await seedAgent(db);
    const stranger = await seedAgent(db);
    const token = await userToken(agent.ownerId);
    const owner = client(fake.anonKey, token);
    await owner.realtime.setAuth(token); // so the first join already carries the user's token
    const received: Array<{ eventType: string; new: Record<string, unknown>; old: Record<string, unknown> }> = [];
    const statuses: string[] = [];
    owner
      .channel('owner-configs', { config: { postgres_changes_options: { wait: true } } })
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'agent_configs' }, (p) =>
        received.push(p as never),
      )
      .subscribe((status) => statuses.push(status));
    await eventually(() => statuses.includes('SUBSCRIBED') || undefined);

    await db.sql`update public.agent_configs set greeting = 'Not yours' where id = ${stranger.configId}`;
    await db.sql`update public.agent_configs set greeting = 'Yours' where id = ${agent.configId}`;
    const change = await eventually(() => received[0]);
    expect(change.new).toMatchObject({
      id: agent.configId,
      greeting: 'Yours',
      version: 2,
      max_call_duration_ms: 1_800_000,
    });
    // replica identity full: an UPDATE carries the whole old row, as the user may see it
    expect(change.old).toMatchObject({ id: agent.configId, greeting: 'Hello!', version: 1, owner_id: agent.ownerId });
    // Changes arrive in commit order: once a later change of the owner's is in, the stranger's
    // (committed before both) would have been too.
    await db.sql`update public.agent_configs set greeting = 'Yours again' where id = ${agent.configId}`;
    await eventually(() => received[1]);
    expect(received.map((r) => r.new.greeting)).toEqual(['Yours', 'Yours again']);
  });

  it('sends only the primary key as the old record of a DELETE from an RLS table', async () => {
    const agent = await seedAgent(db);
    const received: Array<{ old: Record<string, unknown> }> = [];
    await serviceChannel('deletes', 'phone_numbers', 'DELETE', (p) => received.push(p as never));
    await db.sql`delete from public.phone_numbers where id = ${agent.phoneNumberId}`;
    expect((await eventually(() => received[0])).old).toEqual({ id: agent.phoneNumberId });
  });

  it('strips values over 64 bytes from a change over the record size limit and says 413', async () => {
    const agent = await seedAgent(db);
    fake.realtime.knobs.maxRecordBytes = 2_000;
    const received: Array<{ new: Record<string, unknown>; old: Record<string, unknown>; errors: string[] | null }> = [];
    await serviceChannel('large', 'agent_configs', 'UPDATE', (p) => received.push(p as never));
    await db.sql`update public.agent_configs set system_prompt = ${'Be brief. '.repeat(200)} where id = ${agent.configId}`;
    const change = await eventually(() => received[0]);
    expect(change.errors).toEqual(['Error 413: Payload Too Large']);
    expect(change.new).toMatchObject({ id: agent.configId, version: 2, voice_id: expect.any(String) });
    expect(change.new).not.toHaveProperty('system_prompt');
    expect(change.old).toMatchObject({ id: agent.configId, version: 1 });
  });

  it('drops changes over the events-per-second limit without a word', async () => {
    const agent = await seedAgent(db);
    fake.realtime.knobs.maxEventsPerSecond = 1;
    const received: Array<{ new: Record<string, unknown> }> = [];
    await serviceChannel('limited', 'agent_configs', 'UPDATE', (p) => received.push(p as never));
    await db.sql`update public.agent_configs set greeting = 'One' where id = ${agent.configId}`;
    await db.sql`update public.agent_configs set greeting = 'Two' where id = ${agent.configId}`;
    await eventually(() => fake.realtime.stats.changesOverLimit === 1 || undefined);
    expect(received.map((r) => r.new.greeting)).toEqual(['One']);
  });

  it('refuses a public channel when the project allows only private ones', async () => {
    fake.realtime.knobs.privateOnly = true;
    const errors: string[] = [];
    client(fake.serviceRoleKey)
      .channel('public-one', { config: { postgres_changes_options: { wait: true } } })
      .on('postgres_changes', { event: '*', schema: 'public', table: 'agent_configs' }, () => {})
      .subscribe((status, err) => status === 'CHANNEL_ERROR' && errors.push(err?.message ?? ''));
    expect(await eventually(() => errors[0])).toBe('PrivateOnly: This project only allows private channels');
  });

  it('ignoring wait, answers a join on an unpublished table with ok, then a postgres_changes system error', async () => {
    fake.realtime.knobs.honorWait = false;
    const statuses: string[] = [];
    const system: Array<{ extension: string; status: string; message: string }> = [];
    client(fake.serviceRoleKey)
      .channel('calls-no-wait', { config: { postgres_changes_options: { wait: true } } })
      .on('postgres_changes', { event: '*', schema: 'public', table: 'calls' }, () => {})
      .on('system', {}, (p) => system.push(p as never))
      .subscribe((status) => statuses.push(status));
    const error = await eventually(() => system[0]);
    expect(statuses).toEqual(['SUBSCRIBED']);
    expect(error).toMatchObject({
      extension: 'postgres_changes',
      status: 'error',
      message: expect.stringContaining('table: calls'),
    });
  });

  it('rejects a join on a table outside the supabase_realtime publication', async () => {
    const errors: string[] = [];
    client(fake.serviceRoleKey)
      .channel('calls', { config: { postgres_changes_options: { wait: true } } })
      .on('postgres_changes', { event: '*', schema: 'public', table: 'calls' }, () => {})
      .subscribe((status, err) => status === 'CHANNEL_ERROR' && errors.push(err?.message ?? ''));
    expect(await eventually(() => errors[0])).toMatch(/RealtimeDisabledForConfiguration/);
  });
});
