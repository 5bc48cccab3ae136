// `npm run agents` against a real database: owners act through RLS exactly as the frontend does,
// the operator adds numbers as service_role, and refusals are the database's own words.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import type { Persona } from '../../test/db/personas.ts';
import { EXIT_CODE } from '../exit_code.ts';
import { DEMO_OWNER_EMAIL, runAgentsCli, type RunOptions } from './cli.ts';

const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const ADAM = 'pNInz6obpgDQGcFmaJgB';
const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

let db: TestDatabase;
let alice: Persona;
let bob: Persona;
beforeAll(async () => {
  db = await createTestDatabase();
  alice = await db.createUser(ALICE);
  bob = await db.createUser(BOB);
});
afterAll(async () => {
  await db.close();
});

async function run(argv: string[], env: Record<string, string | undefined> = {}, options: RunOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAgentsCli(
    argv,
    { env: { DATABASE_URL: db.url, ...env }, out: (l) => out.push(l), err: (l) => err.push(l) },
    options,
  );
  return { code, out, err };
}

async function listJson(owner: string) {
  const result = await run(['list', '--json', '--owner', owner]);
  expect(result).toMatchObject({ code: EXIT_CODE.ok, err: [] });
  return JSON.parse(result.out.join('\n')) as {
    owner: { id: string; email: string };
    configs: {
      id: string;
      name: string;
      voice_id: string;
      greeting: string;
      transfer_number: string | null;
      version: number;
    }[];
    numbers: { e164: string; label: string; agent_config_id: string | null; config_name: string | null }[];
    issues: { code: string; subject_id: string }[];
  };
}

describe('npm run agents, as an owner', () => {
  it('creates, lists, updates, points a number at, and deletes a config', async () => {
    const created = await run([
      'create',
      '--owner',
      ALICE,
      '--name',
      'Front desk',
      '--voice',
      RACHEL,
      '--prompt',
      "Answer for Alice's bakery.",
      '--greeting',
      'Thanks for calling!',
      '--transfer',
      '(555) 201-0001',
    ]);
    expect(created).toMatchObject({ code: EXIT_CODE.ok, err: [] });
    const id = created.out[0]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // The write ran with Alice's claims: the audit trail names her, not a superuser session.
    const [audit] =
      await db.sql`select changed_by, changed_by_role from public.config_changes where agent_config_id = ${id} and operation = 'insert'`;
    expect(audit).toEqual({ changed_by: alice.userId, changed_by_role: 'authenticated' });

    let listing = await listJson(ALICE);
    expect(listing.owner.id).toBe(alice.userId);
    expect(listing.configs).toEqual([
      expect.objectContaining({
        id,
        name: 'Front desk',
        voice_id: RACHEL,
        greeting: 'Thanks for calling!',
        transfer_number: '+15552010001',
        version: 1,
      }),
    ]);

    const updated = await run([
      'update',
      id,
      '--owner',
      ALICE,
      '--name',
      'Night desk',
      '--voice',
      ADAM,
      '--greeting',
      '',
    ]);
    expect(updated).toMatchObject({
      code: EXIT_CODE.ok,
      out: [`updated ${id} (now version 2): name, voice_id, greeting`],
    });
    expect((await run(['update', id, '--owner', ALICE, '--name', 'Night desk'])).out).toEqual([
      `${id} already had those values (version 2).`,
    ]);
    listing = await listJson(ALICE);
    expect(listing.configs[0]).toMatchObject({ name: 'Night desk', voice_id: ADAM, greeting: '', version: 2 });

    expect(await run(['add-number', '+1 (555) 300-0001', '--owner', ALICE, '--label', 'Main line'])).toMatchObject({
      code: EXIT_CODE.ok,
    });
    const used = await run(['use-config', '5553000001', id, '--owner', ALICE]);
    expect(used).toMatchObject({ code: EXIT_CODE.ok, out: [`+15553000001 is now answered by Night desk (${id}).`] });
    listing = await listJson(ALICE);
    expect(listing.numbers).toEqual([
      {
        id: expect.any(String),
        e164: '+15553000001',
        label: 'Main line',
        agent_config_id: id,
        config_name: 'Night desk',
      },
    ]);

    const text = await run(['list', '--owner', ALICE]);
    expect(text.out).toContain(`  +15553000001  Main line  → answered by Night desk (${id})`);
    expect(text.out).toContain(`    voice     Adam (${ADAM})`);

    const deleted = await run(['delete', id, '--owner', ALICE]);
    expect(deleted).toMatchObject({
      code: EXIT_CODE.ok,
      out: [`deleted Night desk (${id}).`, expect.stringContaining('nobody answers +15553000001 now')],
    });
    listing = await listJson(ALICE);
    expect(listing.configs).toEqual([]);
    expect(listing.numbers[0]).toMatchObject({ e164: '+15553000001', agent_config_id: null });
    expect(listing.issues).toEqual([expect.objectContaining({ code: 'number_without_config' })]);
  });

  it("cannot see, change, use or delete another owner's config", async () => {
    const id = (await run(['create', '--owner', ALICE, '--name', 'Alice only'])).out[0]!;
    expect((await listJson(BOB)).configs.map((c) => c.id)).not.toContain(id);

    const update = await run(['update', id, '--owner', BOB, '--name', 'Taken over']);
    expect(update).toMatchObject({
      code: EXIT_CODE.failures,
      out: [],
      err: [`agents: no config ${id} among ${BOB}'s configs. \`npm run agents -- list --owner ${BOB}\` shows them.`],
    });
    expect((await run(['delete', id, '--owner', BOB])).code).toBe(EXIT_CODE.failures);

    await run(['add-number', '+15553000002', '--owner', BOB]);
    const use = await run(['use-config', '+15553000002', id, '--owner', BOB]);
    expect(use).toMatchObject({
      code: EXIT_CODE.failures,
      err: [expect.stringContaining(`no config ${id} among ${BOB}'s configs`)],
    });
    // Nor can Alice point Bob's number at her config: to her it does not exist.
    expect(await run(['use-config', '+15553000002', id, '--owner', ALICE])).toMatchObject({
      code: EXIT_CODE.failures,
      err: [expect.stringContaining(`no number +15553000002 among ${ALICE}'s numbers`)],
    });

    const [row] = await db.sql`select name, version from public.agent_configs where id = ${id}`;
    expect(row).toEqual({ name: 'Alice only', version: 1 });
    expect(
      (await db.sql`select agent_config_id from public.phone_numbers where e164 = '+15553000002'`)[0]!.agent_config_id,
    ).toBeNull();
  });

  it("shows the database's own voice-ID refusal, message and hint", async () => {
    const result = await run(['create', '--owner', ALICE, '--name', 'Bad voice', '--voice', 'Rachel']);
    expect(result.code).toBe(EXIT_CODE.failures);
    expect(result.out).toEqual([]);
    // Word for word what the frontend would get from the same insert through PostgREST.
    const refusal = await db
      .as(alice, (sql) => sql`insert into public.agent_configs (name, voice_id) values ('Bad voice', 'Rachel')`)
      .then(
        () => undefined,
        (error: { message: string; detail?: string; hint?: string }) => error,
      );
    expect(refusal?.message).toMatch(/agent_configs\.voice_id 'Rachel' is not a valid voice ID/);
    expect(refusal?.hint).toContain(`its voice ID is ${RACHEL}`);
    expect(result.err).toEqual([
      `agents: ${refusal!.message}`,
      ...(refusal!.detail ? [`  detail: ${refusal!.detail}`] : []),
      `  hint: ${refusal!.hint}`,
    ]);
    expect((await listJson(ALICE)).configs.map((c) => c.name)).not.toContain('Bad voice');

    const verbose = await run(['create', '--owner', ALICE, '--name', 'Bad voice', '--voice', 'Rachel', '--verbose']);
    expect(verbose.err.at(-1)).toMatch(/^ {2}sqlstate: 23514/);
  });

  it('acts as the demo owner when --owner is not given', async () => {
    const missing = await run(['list']);
    expect(missing.code).toBe(EXIT_CODE.config);
    expect(missing.err[0]).toMatch(
      new RegExp(`^agents: no owner with email ${DEMO_OWNER_EMAIL}: .*npm run dev.*--owner <email>`),
    );

    const demo = await db.createUser(DEMO_OWNER_EMAIL);
    const id = (await run(['create', '--name', 'Demo desk'])).out[0]!;
    const listing = JSON.parse((await run(['list', '--json'])).out.join('\n'));
    expect(listing.owner).toEqual({ id: demo.userId, email: DEMO_OWNER_EMAIL });
    expect(listing.configs.map((c: { id: string }) => c.id)).toEqual([id]);
  });

  it('names how to create or choose an owner for an unknown email', async () => {
    const result = await run(['list', '--owner', 'nobody@example.test']);
    expect(result.code).toBe(EXIT_CODE.config);
    expect(result.err[0]).toContain('no owner with email nobody@example.test');
    expect(result.err[0]).toContain(`Existing users: ${ALICE}, ${BOB}`);
    expect(result.err[0]).toContain('npm run functions:token -- --email');
    expect(result.err[0]).toContain('--owner <email>');
  });
});

describe('npm run agents -- add-number, the operator at service level', () => {
  it("gives the owner a number, which then shows in the owner's list and nobody else's", async () => {
    const added = await run(['add-number', 'tel:+44 20 7946 0001', '--owner', BOB, '--label', 'London']);
    expect(added).toMatchObject({
      code: EXIT_CODE.ok,
      out: [expect.stringMatching(/^added \+442079460001 \(London\) for bob@example\.test/)],
    });
    const [row] = await db.sql`select owner_id, label from public.phone_numbers where e164 = '+442079460001'`;
    expect(row).toEqual({ owner_id: bob.userId, label: 'London' });
    expect((await listJson(BOB)).numbers.map((n) => n.e164)).toContain('+442079460001');
    expect((await listJson(ALICE)).numbers.map((n) => n.e164)).not.toContain('+442079460001');
  });

  it("prints the database's refusal for a taken or malformed number", async () => {
    const taken = await run(['add-number', '+442079460001', '--owner', ALICE]);
    expect(taken.code).toBe(EXIT_CODE.failures);
    expect(taken.err[0]).toMatch(/^agents: duplicate key value violates unique constraint "phone_numbers_e164_key"/);
    expect(taken.err[1]).toBe('  detail: Key (e164)=(+442079460001) already exists.');

    const malformed = await run(['add-number', 'call me', '--owner', ALICE]);
    expect(malformed).toMatchObject({
      code: EXIT_CODE.failures,
      err: [
        "agents: phone_numbers.e164 'call me' is not a phone number that can be written in E.164.",
        '  hint: Use the international form with country code, e.g. +15551234567.',
      ],
    });
  });
});

describe('npm run agents, mistakes and outages', () => {
  // Port 9 has no Postgres: a usage error must be reported before anything connects.
  const NO_DATABASE = { DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:9/x' };

  it.each([
    [[], 'no command given'],
    [['lsit'], 'unknown command lsit'],
    [['list', '--nmae', 'x'], "Unknown option '--nmae'"],
    [['list', '--name', 'x'], 'list does not take --name'],
    [['create'], 'create needs --name'],
    [['create', '--name'], "Option '--name <value>' argument missing"],
    [['create', '--name', 'x', '--max-call-ms', 'ten'], '--max-call-ms takes a whole number'],
    [['update', 'not-a-uuid', '--name', 'x'], "'not-a-uuid' is not a config id"],
    [['update', '6f1c7c86-4a43-4a1e-9d6a-0c6c4f0b7a11'], 'update needs at least one of --name'],
    [['use-config', '+15550000000'], 'use-config takes <number> <config id>, got +15550000000'],
    [['add-number', '+15550000000'], 'add-number needs --owner <email>'],
  ])('%j is a usage error', async (argv, message) => {
    const result = await run(argv as string[], NO_DATABASE);
    expect(result.code).toBe(EXIT_CODE.usage);
    expect(result.err[0]).toContain(message);
    expect(result.err[1]).toMatch(/^Usage: npm run agents -- <command>/);
  });

  it('--help prints the usage and succeeds', async () => {
    expect(await run(['--help'], NO_DATABASE)).toMatchObject({
      code: EXIT_CODE.ok,
      out: [expect.stringContaining('use-config <number> <config id>')],
    });
  });

  it('says to start the local stack when nothing listens', async () => {
    const started = Date.now();
    const result = await run(['list'], NO_DATABASE);
    expect(result).toMatchObject({
      code: EXIT_CODE.unreachable,
      err: [expect.stringContaining('cannot reach the database at 127.0.0.1:9')],
    });
    expect(result.err[0]).toContain('Is `npm run dev` running?');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('uses the local stack on DEV_DB_PORT without DATABASE_URL', async () => {
    const result = await run(['list'], { DATABASE_URL: undefined, DEV_DB_PORT: '9' });
    expect(result).toMatchObject({ code: EXIT_CODE.unreachable, err: [expect.stringContaining('127.0.0.1:9')] });
    expect(await run(['list'], { DATABASE_URL: undefined, DEV_DB_PORT: 'abc' })).toMatchObject({
      code: EXIT_CODE.config,
      err: [expect.stringContaining('DEV_DB_PORT')],
    });
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const result = await run(
        ['list'],
        { DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${port}/x` },
        { connectTimeoutMs: 500 },
      );
      expect(result).toMatchObject({
        code: EXIT_CODE.unreachable,
        err: [expect.stringContaining('Is `npm run dev` running?')],
      });
      expect(Date.now() - started).toBeLessThan(3_000);

      // The whole command has a deadline too, whatever stage the server stops answering in.
      const stalled = await run(
        ['list'],
        { DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${port}/x` },
        { connectTimeoutMs: 60_000, deadlineMs: 500 },
      );
      expect(stalled).toMatchObject({
        code: EXIT_CODE.unreachable,
        err: [expect.stringContaining(`the database at 127.0.0.1:${port} stopped answering`)],
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('points at the migration when the tables are missing', async () => {
    const bare = `bare_${Date.now()}`;
    await db.sql.unsafe(`create database ${bare}`);
    try {
      const url = new URL(db.url);
      url.pathname = `/${bare}`;
      const result = await run(['list', '--owner', ALICE], { DATABASE_URL: url.toString() });
      expect(result).toMatchObject({ code: EXIT_CODE.config, err: [expect.stringContaining('npm run db:migrate')] });
    } finally {
      await db.sql.unsafe(`drop database if exists ${bare} with (force)`);
    }
  });
});
