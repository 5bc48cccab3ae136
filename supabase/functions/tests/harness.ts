// Deno side of `npm run test:deno` (scripts/functions/test_deno.ts): a fresh database per test
// file cloned from the migrated template, signed test tokens, and the ElevenLabs fake's control
// endpoints. Run the tests through npm; a bare `deno test` lacks the database and the fakes.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import postgres from 'postgres';

export const TEST_JWT_SECRET = 'switchboard-test-jwt-secret-0123456789abcdef';
export const RACHEL = '21m00Tcm4TlvDq8ikWAM';
export const ADAM = 'pNInz6obpgDQGcFmaJgB';
export const SARAH = 'EXAVITQu4vr4xnSDxMaL';

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value)
    throw new Error(
      `${name} is not set: run the function tests with \`npm run test:deno\`, which starts Postgres and the fakes.`,
    );
  return value;
}

export interface TestDatabase {
  url: string;
  /** Superuser connection: arrange data only, never assert access with it. */
  sql: postgres.Sql;
  /** An auth.users row; returns its id. */
  createUser(appMetadata?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = required('SWITCHBOARD_TEST_DB_ADMIN_URL');
  const template = required('SWITCHBOARD_TEST_DB_TEMPLATE');
  const name = `fn_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${template}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  return {
    url: url.toString(),
    sql,
    async createUser(appMetadata = {}) {
      const id = crypto.randomUUID();
      await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                values (${id}, ${`${id.slice(0, 8)}@example.test`}, 'authenticated', 'authenticated',
                        ${sql.json({ provider: 'email', ...appMetadata } as postgres.JSONValue)}, '{}', now(), now())`;
      return id;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

export interface TokenOptions {
  secret?: string;
  /** Seconds until expiry; negative for an expired token. Default 3600. */
  expiresIn?: number;
  appMetadata?: Record<string, unknown>;
  role?: string;
}

/** A Supabase-shaped user access token (HS256, the legacy shared secret). */
export function userToken(userId: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    role: options.role ?? 'authenticated',
    aud: 'authenticated',
    email: `${userId.slice(0, 8)}@example.test`,
    app_metadata: { provider: 'email', ...options.appMetadata },
    user_metadata: {},
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    aal: 'aal1',
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** A legacy service_role key (HS256, no aud), as Supabase issued them. */
export function serviceRoleToken(secret = TEST_JWT_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'supabase', role: 'service_role' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(secret));
}

/** An ES256 key pair whose public JWKS goes in SUPABASE_JWKS, and a signer for user tokens. */
export async function asymmetricKeys(issuer: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  return {
    jwks: JSON.stringify({ keys: [jwk] }),
    sign(userId: string, expiresIn = 3600) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ role: 'authenticated', aud: 'authenticated', app_metadata: { provider: 'email' } })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresIn)
        .sign(privateKey);
    },
  };
}

/** The ElevenLabs fake started by test_deno.ts, driven over its /__fake control endpoints. */
export const elevenLabsFake = {
  get url(): string {
    return required('ELEVENLABS_FAKE_URL');
  },
  get apiKey(): string {
    return required('ELEVENLABS_FAKE_KEY');
  },
  async control(path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(
      `${this.url}/__fake/${path}`,
      body === undefined
        ? {}
        : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    );
    return await res.json();
  },
  reset: () => elevenLabsFake.control('reset', {}),
  configure: (options: Record<string, unknown>) => elevenLabsFake.control('configure', options),
  setVoices: (voices: unknown[]) => elevenLabsFake.control('voices', { voices }),
  release: () => elevenLabsFake.control('release', {}),
  async ttsRequests(
    voiceId?: string,
  ): Promise<{ path: string; voiceId: string; status: number; query: Record<string, string>; body: unknown }[]> {
    const state = (await elevenLabsFake.control('state')) as {
      requests: {
        path: string;
        voiceId: string;
        status: number;
        authorized: boolean;
        query: Record<string, string>;
        body: unknown;
      }[];
    };
    return state.requests.filter(
      (r) => r.path.startsWith('/v1/text-to-speech/') && r.authorized && (!voiceId || r.voiceId === voiceId),
    );
  },
};

export async function json(
  res: Response,
): Promise<{ error?: { code: string; message: string } } & Record<string, unknown>> {
  return await res.json();
}
