// Where the local stack (`npm run dev`) listens. Every script that falls back to the local stack
// reads these, so DEV_DB_PORT and FUNCTIONS_PORT move all of them together and nothing writes
// into whatever other database happens to listen on the default port.

export const DEV_DB_DEFAULT_PORT = 54322;
export const DEV_FUNCTIONS_DEFAULT_PORT = 54321;
export const DEV_DATABASE_NAME = 'switchboard';

type Env = Record<string, string | undefined>;

function portFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got '${raw}'`);
  }
  return port;
}

/** Port of the local stack's embedded Postgres: DEV_DB_PORT, default 54322. */
export function devDatabasePort(env: Env): number {
  return portFrom(env, 'DEV_DB_PORT', DEV_DB_DEFAULT_PORT);
}

/** Port of the local functions gateway: FUNCTIONS_PORT, default 54321. */
export function devFunctionsPort(env: Env): number {
  return portFrom(env, 'FUNCTIONS_PORT', DEV_FUNCTIONS_DEFAULT_PORT);
}

/** Superuser URL of the local stack's database. */
export function devDatabaseUrl(env: Env): string {
  return `postgresql://postgres:postgres@127.0.0.1:${devDatabasePort(env)}/${DEV_DATABASE_NAME}`;
}

/** Base URL of the local functions gateway (what SUPABASE_URL is locally). */
export function devFunctionsUrl(env: Env): string {
  return `http://127.0.0.1:${devFunctionsPort(env)}`;
}
