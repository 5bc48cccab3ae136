// Database access for `npm run agents`. Owner commands run exactly as PostgREST runs a
// frontend's request: one transaction with `role authenticated` and the owner's JWT claims, so
// RLS and GRANTs decide what the owner sees and may change, and the CLI can do nothing the
// frontend could not. Only the operator's add-number runs as service_role. The owner lookup
// reads auth.users with the connection's own role, as Supabase Auth does when it signs in.
import postgres from 'postgres';
import { AppError } from '../../shared/errors.ts';
import { classifyPostgresError } from '../../shared/postgres_errors.ts';

export interface SessionOptions {
  /** Postgres URL with service-level access: DATABASE_URL, or the local stack's. */
  url: string;
  /** Limit on connecting, TCP and startup handshake together, in milliseconds. Default 5000. */
  connectTimeoutMs?: number;
  /** Server-side limit on each statement, in milliseconds. Default 10000. */
  statementTimeoutMs?: number;
}
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export interface Owner {
  id: string;
  email: string;
  /** The claims Supabase Auth would put in this owner's access token. */
  claims: Record<string, unknown>;
}

export type Tx = postgres.TransactionSql;

export interface Session {
  /** host:port of the database, for messages. */
  readonly host: string;
  findOwner(email: string, options: { isDefault: boolean }): Promise<Owner>;
  asOwner<T>(owner: Owner, work: (tx: Tx) => Promise<T>): Promise<T>;
  asServiceRole<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Closes the connection; `force` drops it at once (after a deadline passed). */
  close(options?: { force?: boolean }): Promise<void>;
}

const SESSION_HOURS = 1;

export function openSession(options: SessionOptions): Session {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const sql = postgres(options.url, {
    max: 1,
    onnotice: () => {},
    // postgres.js counts seconds; it covers the handshake too, so a server that accepts the
    // socket and never answers still fails fast.
    connect_timeout: connectTimeoutMs / 1000,
    connection: { application_name: 'switchboard agents cli' },
  });

  // set_config(..., true) lasts until the end of the transaction, as PostgREST's does.
  const inTransaction = <T>(
    role: string | null,
    claims: Record<string, unknown> | null,
    work: (tx: Tx) => Promise<T>,
  ) =>
    sql.begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${String(statementTimeoutMs)}, true)`;
      if (role) {
        await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      }
      return work(tx);
    }) as Promise<T>;

  return {
    host: hostOf(options.url),

    async findOwner(email, { isDefault }) {
      return inTransaction(null, null, async (tx) => {
        const [user] = await tx<
          { id: string; email: string; app: Record<string, unknown> | null; meta: Record<string, unknown> | null }[]
        >`
          select id, email, raw_app_meta_data as app, raw_user_meta_data as meta
            from auth.users where lower(email) = lower(${email.trim()}) order by created_at limit 1`;
        if (!user) throw new AppError('invalid_config', await unknownOwnerMessage(tx, email, isDefault));
        return {
          id: user.id,
          email: user.email,
          claims: ownerClaims(user.id, user.email, user.app ?? {}, user.meta ?? {}),
        };
      });
    },

    asOwner: (owner, work) => inTransaction('authenticated', owner.claims, work),

    asServiceRole: (work) => {
      const iat = Math.floor(Date.now() / 1000);
      return inTransaction(
        'service_role',
        { iss: 'supabase', role: 'service_role', iat, exp: iat + SESSION_HOURS * 3600 },
        work,
      );
    },

    close: ({ force = false } = {}) => sql.end({ timeout: force ? 0 : 2 }),
  };
}

function ownerClaims(id: string, email: string, app: Record<string, unknown>, meta: Record<string, unknown>) {
  const iat = Math.floor(Date.now() / 1000);
  return {
    sub: id,
    role: 'authenticated',
    aud: 'authenticated',
    email,
    phone: '',
    app_metadata: { provider: 'email', ...app },
    user_metadata: meta,
    is_anonymous: false,
    aal: 'aal1',
    session_id: crypto.randomUUID(),
    iat,
    exp: iat + SESSION_HOURS * 3600,
  };
}

const SHOWN_USERS = 5;

async function unknownOwnerMessage(tx: Tx, email: string, isDefault: boolean): Promise<string> {
  const users = await tx<{ email: string }[]>`
    select email from auth.users where email is not null order by created_at limit ${SHOWN_USERS + 1}`;
  const known =
    users.length === 0
      ? 'auth.users is empty.'
      : `Existing users: ${users
          .slice(0, SHOWN_USERS)
          .map((u) => u.email)
          .join(', ')}${users.length > SHOWN_USERS ? ', …' : ''}.`;
  const create = isDefault
    ? `${email} is the local stack's demo owner, which \`npm run dev\` creates: start it once, or`
    : 'Create the user with `npm run functions:token -- --email <email>` (local database) or in the Supabase dashboard (Authentication → Add user), or';
  return `no owner with email ${email}: there is no such user in auth.users. ${known} ${create} choose an existing user with --owner <email>.`;
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return 'the configured address';
  }
}

/**
 * Turns a failure to reach or use the database into what to fix, or returns undefined when the
 * database answered and refused (those are printed as the database wrote them).
 */
export function classifyConnectionFailure(error: unknown, host: string): AppError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (classifyPostgresError(error) === 'unreachable') {
    return new AppError(
      'unavailable',
      `cannot reach the database at ${host} (${code}). Is \`npm run dev\` running? Otherwise set DATABASE_URL to a migrated database.`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (code === '28P01' || code === '28000' || code === '3D000') {
    return new AppError('invalid_config', `${message}. Check DATABASE_URL (or DEV_DB_PORT for the local stack).`, {
      cause: error,
    });
  }
  if (code === '3F000' || code === '42P01') {
    return new AppError(
      'invalid_config',
      `${message}: the database is not migrated. Run \`npm run db:migrate\` (or \`npm run dev\`).`,
      { cause: error },
    );
  }
  return undefined;
}
