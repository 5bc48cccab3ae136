// Who is calling: a Supabase access token (JWT) in `Authorization: Bearer`, verified here with
// jose, never trusted from the platform gate. HS256 tokens are checked with the legacy shared
// secret (JWT_SECRET); asymmetric ones (ES256/RS256) with the project's JWKS. A secret API key
// (sb_secret_..., from SUPABASE_SECRET_KEYS) in the `apikey` header acts as service_role.
//
// Beyond the signature, a token must be one Supabase issues for this project (checkClaims):
// user tokens carry aud 'authenticated', iss <SUPABASE_URL>/auth/v1 (checked when SUPABASE_URL
// is known) and a user id (UUID) in sub; the legacy anon and service_role keys carry iss
// 'supabase' and no aud. A token signed with the shared secret for anything else (another
// audience, another issuer) is refused.
//
// Admins: a user whose JWT carries app_metadata.role === 'admin'. app_metadata lives in
// auth.users.raw_app_meta_data, which only the service role can write, so users cannot grant
// it to themselves. See isAdmin().
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../../../shared/errors.ts';
import type { PlatformEnv } from './env.ts';

export type CallerRole = 'anon' | 'authenticated' | 'service_role';
const ROLES: readonly string[] = ['anon', 'authenticated', 'service_role'];
/** `aud` of the access tokens Supabase Auth issues to signed-in users. */
const USER_AUDIENCE = 'authenticated';
/**
 * `iss` of the legacy anon and service_role API keys: 'supabase' on hosted projects,
 * 'supabase-demo' for the keys of the CLI's local stack.
 */
const API_KEY_ISSUERS: readonly string[] = ['supabase', 'supabase-demo'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Claims extends JWTPayload {
  role?: string;
  email?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

export interface Caller {
  role: CallerRole;
  /** auth.users id (the `sub` claim) for signed-in users; null for anon and service callers. */
  userId: string | null;
  /** The verified claims; `{ role: 'service_role' }` for a secret API key. */
  claims: Claims;
  via: 'jwt' | 'secret_key';
}

export interface AuthOptions {
  /** Legacy HS256 shared secret. */
  jwtSecret?: string;
  /** Inline JWKS JSON ({"keys":[...]} or an array). */
  jwks?: string;
  /** Remote JWKS URL, fetched and cached by jose. */
  jwksUrl?: string;
  /**
   * Required `iss` of user tokens (SUPABASE_URL/auth/v1), and of every asymmetric token;
   * unchecked when absent.
   */
  issuer?: string;
  /** Secret API keys that act as service_role. */
  secretKeys?: string[];
}

export function authOptionsFromEnv(env: PlatformEnv): AuthOptions {
  const authUrl = env.SUPABASE_URL ? `${env.SUPABASE_URL.replace(/\/$/, '')}/auth/v1` : undefined;
  return {
    jwtSecret: env.JWT_SECRET,
    jwks: env.SUPABASE_JWKS,
    jwksUrl: env.JWKS_URL ?? (authUrl ? `${authUrl}/.well-known/jwks.json` : undefined),
    issuer: authUrl,
    secretKeys: parseSecretKeys(env.SUPABASE_SECRET_KEYS),
  };
}

export interface Authenticator {
  /** The verified caller; throws `unauthorized` (401) for a missing, expired or forged token. */
  authenticate(req: Request): Promise<Caller>;
}

export function createAuthenticator(options: AuthOptions): Authenticator {
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : null;
  const keySet = options.jwks
    ? createLocalJWKSet(normalizeJwks(options.jwks))
    : options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 })
      : null;
  const secretKeys = options.secretKeys ?? [];
  const remote = !options.jwks && Boolean(options.jwksUrl);

  async function verify(token: string): Promise<Claims> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalidToken();
    }
    try {
      if (alg === 'HS256') {
        if (!secret) throw invalidToken();
        return (await jwtVerify<Claims>(token, secret, { algorithms: ['HS256'], requiredClaims: ['exp'] })).payload;
      }
      if (!keySet) throw invalidToken();
      const verifyOptions = {
        algorithms: ['ES256', 'RS256', 'EdDSA'],
        requiredClaims: ['exp'],
        ...(options.issuer ? { issuer: options.issuer } : {}),
      };
      return (await jwtVerify<Claims>(token, keySet, verifyOptions)).payload;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired)
        throw new AppError('unauthorized', 'Your session has expired. Sign in again.', { cause: error });
      // A remote JWKS that cannot be fetched is our outage, not a bad token.
      if (error instanceof errors.JWKSTimeout || (remote && error instanceof TypeError)) {
        throw new AppError('unavailable', 'Could not fetch the signing keys to check your token. Try again.', {
          cause: error,
          retryable: true,
        });
      }
      throw invalidToken(error);
    }
  }

  /** The caller's role, once the claims say the token is one Supabase issues for this project. */
  function checkClaims(claims: Claims): CallerRole {
    const role = claims.role ?? '';
    if (!ROLES.includes(role))
      throw new AppError(
        'unauthorized',
        `The access token has role ${JSON.stringify(role)}; expected a Supabase user or service token.`,
      );
    if (role === 'authenticated') {
      const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(USER_AUDIENCE)) throw notForThisProject(`aud ${JSON.stringify(claims.aud ?? null)}`);
      if (options.issuer && claims.iss !== options.issuer)
        throw notForThisProject(`iss ${JSON.stringify(claims.iss ?? null)}`);
      // auth.uid() casts sub to uuid: anything else would fail every query as a 500.
      if (typeof claims.sub !== 'string' || !UUID.test(claims.sub))
        throw invalidToken(new Error('sub is not a user id (UUID)'));
      return role;
    }
    const issuers = options.issuer ? [...API_KEY_ISSUERS, options.issuer] : API_KEY_ISSUERS;
    if (typeof claims.iss !== 'string' || !issuers.includes(claims.iss))
      throw notForThisProject(`iss ${JSON.stringify(claims.iss ?? null)}`);
    return role as CallerRole;
  }

  return {
    async authenticate(req) {
      const header = req.headers.get('authorization');
      const apikey = req.headers.get('apikey');
      const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
      if (bearer && !bearer.startsWith('sb_')) {
        const claims = await verify(bearer);
        const role = checkClaims(claims);
        return { role, userId: role === 'authenticated' ? claims.sub! : null, claims, via: 'jwt' };
      }
      const key = bearer ?? apikey;
      if (key && secretKeys.some((candidate) => timingSafeEqual(candidate, key))) {
        return { role: 'service_role', userId: null, claims: { role: 'service_role' }, via: 'secret_key' };
      }
      if (header && !bearer)
        throw new AppError('unauthorized', 'The Authorization header must be "Bearer <access token>".');
      throw new AppError(
        'unauthorized',
        'Sign in first: send the user\'s access token as "Authorization: Bearer <token>".',
      );
    },
  };
}

/** Signed-in user with app_metadata.role === 'admin' (set by an operator in auth.users.raw_app_meta_data). */
export function isAdmin(claims: Claims): boolean {
  return claims.role === 'authenticated' && claims.app_metadata?.role === 'admin';
}

/** Throws unless the caller is a signed-in user (not anon, not a service key). */
export function requireUser(caller: Caller): Caller & { userId: string } {
  if (caller.role !== 'authenticated' || !caller.userId) {
    throw new AppError('unauthorized', "Sign in first: this endpoint needs a signed-in user's access token.");
  }
  return caller as Caller & { userId: string };
}

/** Throws `forbidden` unless the caller is service_role or an admin user. */
export function requireAdmin(caller: Caller): void {
  if (caller.role === 'service_role' || isAdmin(caller.claims)) return;
  if (caller.role === 'anon') throw new AppError('unauthorized', 'Sign in first: this endpoint is for administrators.');
  throw new AppError('forbidden', 'Only administrators may do this (app_metadata.role = "admin" in their account).');
}

function invalidToken(cause?: unknown): AppError {
  return new AppError('unauthorized', 'The access token is invalid. Sign in again.', { cause });
}

/** Signed with the right key, but issued for another audience or by another issuer. */
function notForThisProject(claim: string): AppError {
  return new AppError('unauthorized', 'The access token was not issued for this project. Sign in again.', {
    cause: new Error(`unexpected ${claim}`),
  });
}

function normalizeJwks(json: string): { keys: JsonWebKey[] } {
  const parsed = JSON.parse(json);
  return Array.isArray(parsed) ? { keys: parsed } : parsed;
}

function parseSecretKeys(json: string | undefined): string[] {
  if (!json) return [];
  try {
    const parsed = JSON.parse(json);
    if (parsed && typeof parsed === 'object')
      return Object.values(parsed).filter((v): v is string => typeof v === 'string' && v.length > 0);
  } catch {
    // A bare key instead of the JSON map.
  }
  return [json];
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}
