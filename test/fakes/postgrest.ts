// A PostgREST fake that serves `/rest/v1/rpc/<fn>` from the REAL test database, the way
// PostgREST does (docs/supabase.md §8): verify the key/JWT, open a transaction as the caller's
// role with its claims, call the function by parameter names with the body's values, answer
// to_jsonb(result), and map SQLSTATEs to PostgREST's status codes and error bodies.
// Knobs: hold responses (computed, not yet sent), per-request timings, call counts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import postgres from 'postgres';
import { authenticateRequest, type Caller, type FakeKeys } from './postgrest_auth.ts';

export interface PostgrestFakeOptions {
  databaseUrl: string;
  keys: FakeKeys;
  /** Schemas the Data API exposes. Default ['public']. */
  exposedSchemas?: string[];
}

export interface RpcTiming {
  fn: string;
  /** performance.now() when the request arrived and when its response was written. */
  receivedAt: number;
  respondedAt: number;
  status: number;
}

export interface PostgrestFake {
  /** Handles /rest/v1/* requests; returns false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Calls per function name (every request that reached the function lookup). */
  readonly calls: Map<string, number>;
  /** While true, responses are computed against the database but held until release(). */
  hold: boolean;
  /** Functions whose responses are held the same way (whatever `hold` says). */
  holdFunctions: Set<string>;
  /** Responses computed and waiting for release(). */
  readonly heldCount: number;
  release(): void;
  onResponse: ((timing: RpcTiming) => void) | undefined;
  close(): Promise<void>;
}

interface FunctionInfo {
  schema: string;
  name: string;
  args: Array<{ name: string; type: string; hasDefault: boolean }>;
  returnsVoid: boolean;
  returnsSet: boolean;
}

interface PostgrestErrorBody {
  code: string;
  details: string | null;
  hint: string | null;
  message: string;
}

const PREFIX = '/rest/v1/';

export function createPostgrestFake(options: PostgrestFakeOptions): PostgrestFake {
  const sql = postgres(options.databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 2 });
  const exposed = options.exposedSchemas ?? ['public'];
  const calls = new Map<string, number>();
  const held: Array<() => void> = [];
  const functionCache = new Map<string, FunctionInfo[]>();

  const fake: PostgrestFake = {
    calls,
    hold: false,
    holdFunctions: new Set(),
    get heldCount() {
      return held.length;
    },
    onResponse: undefined,
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (!url.pathname.startsWith(PREFIX)) return false;
      const receivedAt = performance.now();
      const fn = url.pathname.slice(PREFIX.length + 'rpc/'.length);
      void serve(req, url).then(({ status, body }) => {
        const send = () => {
          if (body === undefined) res.writeHead(status).end();
          else res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
          fake.onResponse?.({ fn, receivedAt, respondedAt: performance.now(), status });
        };
        if (fake.hold || fake.holdFunctions.has(fn)) held.push(send);
        else send();
      });
      return true;
    },
    release() {
      for (const send of held.splice(0)) send();
    },
    close: () => sql.end({ timeout: 1 }),
  };

  async function serve(req: IncomingMessage, url: URL): Promise<{ status: number; body?: unknown }> {
    const rest = url.pathname.slice(PREFIX.length);
    if (!rest.startsWith('rpc/')) {
      return { status: 501, body: errorBody('FAKE501', 'The PostgREST fake serves only /rest/v1/rpc/<function>.') };
    }
    if (req.method !== 'POST')
      return { status: 405, body: errorBody('PGRST117', `Unsupported HTTP method: ${req.method}`) };
    const auth = await authenticateRequest(options.keys, header(req, 'apikey'), header(req, 'authorization'));
    if (!auth.ok) return { status: auth.status, body: errorBody(auth.code, auth.message, null, auth.hint) };
    const schema = header(req, 'content-profile') ?? 'public';
    if (!exposed.includes(schema)) {
      return {
        status: 406,
        body: errorBody(
          'PGRST106',
          `Invalid schema: ${schema}`,
          null,
          `Only the following schemas are exposed: ${exposed.join(', ')}`,
        ),
      };
    }
    let args: Record<string, unknown>;
    try {
      const text = await readBody(req);
      const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      args = parsed as Record<string, unknown>;
    } catch {
      return { status: 400, body: errorBody('PGRST102', 'Empty or invalid json') };
    }
    const name = decodeURIComponent(rest.slice('rpc/'.length));
    calls.set(name, (calls.get(name) ?? 0) + 1);
    try {
      const fn = await findFunction(schema, name, Object.keys(args));
      if (!fn) {
        const candidates = await functionsNamed(schema, name);
        return {
          status: 404,
          body: errorBody(
            'PGRST202',
            `Could not find the function ${schema}.${name}(${Object.keys(args).sort().join(', ')}) in the schema cache`,
            'Searched for the function with the given parameter names, but no matches were found in the schema cache.',
            candidates[0]
              ? `Perhaps you meant to call the function ${schema}.${name}(${candidates[0].args.map((a) => a.name).join(', ')})`
              : null,
          ),
        };
      }
      const result = await callAs(auth.caller, fn, args, url.pathname);
      return fn.returnsVoid ? { status: 204 } : { status: 200, body: result };
    } catch (error) {
      return toErrorResponse(error, auth.caller);
    }
  }

  async function callAs(
    caller: Caller,
    fn: FunctionInfo,
    args: Record<string, unknown>,
    path: string,
  ): Promise<unknown> {
    const used = fn.args.filter((a) => a.name in args);
    const named = used.map((a) => `${quoteIdent(a.name)} => _.${quoteIdent(a.name)}`).join(', ');
    const record = used.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ');
    const call = `${quoteIdent(fn.schema)}.${quoteIdent(fn.name)}(${named})`;
    const from = used.length > 0 ? ` from jsonb_to_record($1::text::jsonb) as _(${record})` : '';
    const query = fn.returnsVoid
      ? `select ${call}${from}`
      : fn.returnsSet
        ? `select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as result from ${used.length > 0 ? `jsonb_to_record($1::text::jsonb) as _(${record}), ` : ''}${call} r`
        : `select to_jsonb(${call}) as result${from}`;
    const params = used.length > 0 ? [JSON.stringify(args)] : [];
    return sql.begin(async (tx) => {
      await tx`select set_config('role', ${caller.role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true),
                      set_config('request.method', 'POST', true),
                      set_config('request.path', ${path}, true)`;
      const rows = await tx.unsafe(query, params as never[]);
      return fn.returnsVoid ? null : (rows[0]?.result ?? null);
    });
  }

  async function functionsNamed(schema: string, name: string): Promise<FunctionInfo[]> {
    const key = `${schema}.${name}`;
    const cached = functionCache.get(key);
    if (cached) return cached;
    const rows = await sql<
      Array<{
        args: Array<{ name: string; type: string; has_default: boolean }>;
        returns_void: boolean;
        returns_set: boolean;
      }>
    >`
      select coalesce((
               select jsonb_agg(jsonb_build_object('name', a.name, 'type', format_type(a.type, null),
                                                   'has_default', a.position > p.pronargs - p.pronargdefaults) order by a.position)
                 from unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) with ordinality as a (name, type, position)
             ), '[]'::jsonb) as args,
             p.prorettype = 'void'::regtype as returns_void,
             p.proretset as returns_set
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = ${schema} and p.proname = ${name} and p.prokind = 'f'`;
    const infos = rows.map((r) => ({
      schema,
      name,
      returnsVoid: r.returns_void,
      returnsSet: r.returns_set,
      args: r.args.map((a) => ({ name: a.name, type: a.type, hasDefault: a.has_default })),
    }));
    functionCache.set(key, infos);
    return infos;
  }

  /** The overload whose parameter names cover the body's keys and whose required ones are given. */
  async function findFunction(schema: string, name: string, keys: string[]): Promise<FunctionInfo | undefined> {
    const candidates = await functionsNamed(schema, name);
    return candidates.find(
      (fn) =>
        keys.every((k) => fn.args.some((a) => a.name === k)) &&
        fn.args.every((a) => a.hasDefault || keys.includes(a.name)),
    );
  }

  return fake;
}

/** PostgREST's SQLSTATE → HTTP status table (docs/supabase.md §8). */
export function statusForSqlState(code: string, authenticated: boolean): number {
  if (code === 'P0001') return 400;
  if (code === '23503' || code === '23505') return 409;
  if (code === '42501') return authenticated ? 403 : 401;
  if (code === '42883' || code === '42P01') return 404;
  if (/^(0L|0P|28)/.test(code)) return 403;
  if (code === '25006') return 405;
  if (code.startsWith('08') || (code.startsWith('53') && code !== '53400')) return 503;
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  if (/^(09|25|2D|38|39|3B|40|54|55|57|58|F0|HV|P0|XX)/.test(code) || code === '42P17' || code === '53400') return 500;
  return 400;
}

function toErrorResponse(error: unknown, caller: Caller): { status: number; body: PostgrestErrorBody } {
  const e = error as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (!/^[0-9A-Z]{5}$/.test(code)) {
    // No SQLSTATE: the connection to the database failed, as PostgREST reports it.
    return {
      status: 503,
      body: errorBody(
        'PGRST000',
        'Database connection error. Retrying the connection.',
        typeof e.message === 'string' ? e.message : null,
      ),
    };
  }
  return {
    status: statusForSqlState(code, caller.authenticated),
    body: errorBody(
      code,
      typeof e.message === 'string' ? e.message : 'error',
      typeof e.detail === 'string' ? e.detail : null,
      typeof e.hint === 'string' ? e.hint : null,
    ),
  };
}

function errorBody(
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
): PostgrestErrorBody {
  return { code, details, hint, message };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
