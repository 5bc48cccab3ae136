// Environment for every edge function, parsed once with zod at startup. Each function extends
// PLATFORM_ENV with its own variables and calls loadEnv() from its index.ts; nothing else reads
// Deno.env. A bad or missing variable fails at boot with every bad name listed (never a value).
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';

const jwksJson = z.string().refine((value) => {
  try {
    const parsed = JSON.parse(value);
    return Array.isArray(parsed) || Array.isArray(parsed?.keys);
  } catch {
    return false;
  }
}, 'must be a JWKS: {"keys":[...]} or a bare array of JWKs');

export const PLATFORM_ENV = z
  .object({
    /** Project URL; the default JWKS URL and JWT issuer derive from it. */
    SUPABASE_URL: z.url().optional(),
    /** Postgres URL the functions connect with (acting as the caller or as service_role). */
    SUPABASE_DB_URL: z.string().min(1),
    /** Legacy shared JWT secret (HS256). When set, tokens are verified with it. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Inline JWKS for asymmetric keys (tests, or to skip the network fetch). */
    SUPABASE_JWKS: jwksJson.optional(),
    /** Where to fetch the JWKS. Default: SUPABASE_URL + /auth/v1/.well-known/jwks.json. */
    JWKS_URL: z.url().optional(),
    /** JSON {"name": "sb_secret_..."}; a matching apikey acts as service_role. */
    SUPABASE_SECRET_KEYS: z.string().optional(),
    /** Connections per function instance. */
    DB_POOL_MAX: z.coerce.number().int().min(1).max(20).default(4),
    /** Opening a database connection, in ms. */
    DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    /** Server-side statement_timeout for every statement, in ms. */
    DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    /** Client-side limit on one unit of database work (one transaction), in ms. */
    DB_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /** The whole request body must arrive within this, in ms (else 408). */
    REQUEST_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Access-Control-Allow-Origin for browser callers. */
    CORS_ALLOW_ORIGIN: z.string().min(1).default('*'),
  })
  .refine((env) => env.JWT_SECRET || env.SUPABASE_JWKS || env.JWKS_URL || env.SUPABASE_URL, {
    message: 'set JWT_SECRET (legacy HS256), SUPABASE_JWKS or JWKS_URL, or SUPABASE_URL to verify tokens',
    path: ['JWT_SECRET'],
  });
export type PlatformEnv = z.infer<typeof PLATFORM_ENV>;

/** Parses `source` with `schema`; empty strings count as unset. Throws invalid_config naming every bad variable. */
export function loadEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} (${issue.message})`);
  throw new AppError('invalid_config', `missing or invalid environment variables: ${problems.join(', ')}`);
}

/** Extends the platform schema with a function's own variables (refinements are kept). */
export function functionEnv<T extends z.ZodRawShape>(shape: T) {
  return z.intersection(PLATFORM_ENV, z.object(shape));
}
