// API keys and JWTs for the local Supabase fakes (PostgREST RPC and Realtime), as a project
// with a legacy HS256 JWT secret has them: anon and service_role keys are JWTs
// ({ iss: 'supabase', ref, role, iat, exp }, no aud), and the new-style keys are opaque
// `sb_publishable_…` / `sb_secret_…` strings the gateway maps to anon / service_role.
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

export interface FakeKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
}

export type FakeRole = 'anon' | 'authenticated' | 'service_role';

export interface Caller {
  role: FakeRole;
  claims: Record<string, unknown>;
  /** A verified JWT carried the role (not the anon fallback): 42501 then maps to 403, not 401. */
  authenticated: boolean;
}

export type AuthOutcome =
  | { ok: true; caller: Caller }
  | { ok: false; status: number; code: string; message: string; hint: string | null };

export async function createFakeKeys(): Promise<FakeKeys> {
  const jwtSecret = randomBytes(32).toString('hex');
  return {
    jwtSecret,
    anonKey: await signKey(jwtSecret, 'anon'),
    serviceRoleKey: await signKey(jwtSecret, 'service_role'),
    publishableKey: `sb_publishable_${randomBytes(16).toString('hex')}`,
    secretKey: `sb_secret_${randomBytes(16).toString('hex')}`,
  };
}

/** Signs a JWT with the project's secret (for user tokens or short-lived keys in tests). */
export function signFakeJwt(keys: FakeKeys, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret(keys.jwtSecret));
}

function signKey(jwtSecret: string, role: 'anon' | 'service_role'): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'supabase', ref: 'fakeproject', role, iat, exp: iat + 10 * 365 * 24 * 3600 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(secret(jwtSecret));
}

/**
 * What the gateway + PostgREST decide for a request: `apikey` is required; the bearer token (or
 * the apikey when there is none) picks the role.
 */
export async function authenticateRequest(
  keys: FakeKeys,
  apikey: string | undefined,
  authorization: string | undefined,
): Promise<AuthOutcome> {
  if (!apikey) {
    return {
      ok: false,
      status: 401,
      code: 'PGRST301',
      message: 'No API key found in request',
      hint: 'No `apikey` request header or url param was found.',
    };
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  return authenticateToken(keys, bearer ?? apikey);
}

/** One token: a JWT signed with the project secret, or an opaque sb_ key. */
export async function authenticateToken(keys: FakeKeys, token: string): Promise<AuthOutcome> {
  if (token === keys.secretKey)
    return { ok: true, caller: { role: 'service_role', claims: keyClaims('service_role'), authenticated: true } };
  if (token === keys.publishableKey)
    return { ok: true, caller: { role: 'anon', claims: keyClaims('anon'), authenticated: false } };
  if (token.startsWith('sb_'))
    return { ok: false, status: 401, code: 'PGRST301', message: 'Invalid API key', hint: null };
  try {
    const { payload } = await jwtVerify(token, secret(keys.jwtSecret), { algorithms: ['HS256'] });
    const role = payload.role;
    if (role !== 'anon' && role !== 'authenticated' && role !== 'service_role') {
      return {
        ok: false,
        status: 401,
        code: 'PGRST301',
        message: 'JWT role claim is missing or not a database role',
        hint: null,
      };
    }
    return { ok: true, caller: { role, claims: payload as Record<string, unknown>, authenticated: role !== 'anon' } };
  } catch (error) {
    if (error instanceof errors.JWTExpired)
      return { ok: false, status: 401, code: 'PGRST303', message: 'JWT expired', hint: null };
    return {
      ok: false,
      status: 401,
      code: 'PGRST301',
      message: `JWSError ${error instanceof Error ? error.message : String(error)}`,
      hint: null,
    };
  }
}

function keyClaims(role: 'anon' | 'service_role'): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: 'supabase', ref: 'fakeproject', role, iat, exp: iat + 3600 };
}

function secret(jwtSecret: string): Uint8Array {
  return new TextEncoder().encode(jwtSecret);
}
