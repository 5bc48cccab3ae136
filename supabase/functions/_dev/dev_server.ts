// Local stand-in for Supabase's functions gateway (which needs Docker): serves every function
// folder at http://127.0.0.1:54321/functions/v1/<name>, stripping the prefix as Supabase does,
// so the function sees /<name>/... . A folder is a function when it has an index.ts whose default
// export has fetch(); a new folder needs no router edit.
// Started by `npm run dev` (scripts/functions/dev_service.ts); run alone with
//   deno run --allow-net --allow-env --allow-read --allow-sys supabase/functions/_dev/dev_server.ts
import { jsonResponse } from '../_shared/http.ts';
import { corsHeaders, preflightResponse } from '../_shared/cors.ts';

type Handler = (req: Request) => Promise<Response> | Response;

const FUNCTIONS_DIR = new URL('../', import.meta.url);
const PREFIX = '/functions/v1/';
const loaded = new Map<string, Promise<Handler>>();

function isFunctionName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_-]*$/.test(name) && name !== 'tests';
}

async function entryOf(name: string): Promise<URL | null> {
  const url = new URL(`${name}/index.ts`, FUNCTIONS_DIR);
  try {
    return (await Deno.stat(url)).isFile ? url : null;
  } catch {
    return null; // no index.ts: not a function
  }
}

async function discover(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(FUNCTIONS_DIR)) {
    if (entry.isDirectory && isFunctionName(entry.name) && (await entryOf(entry.name))) names.push(entry.name);
  }
  return names.sort();
}

function load(name: string): Promise<Handler> {
  let pending = loaded.get(name);
  if (!pending) {
    pending = (async () => {
      const entry = await entryOf(name);
      if (!entry) throw new Error(`no function named ${name}`);
      const module = await import(entry.href);
      if (typeof module.default?.fetch !== 'function')
        throw new Error(`${name}: index.ts must export default { fetch }`);
      return module.default.fetch.bind(module.default);
    })();
    loaded.set(name, pending);
  }
  return pending;
}

async function route(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname === '/functions/v1' || url.pathname === PREFIX) {
    return jsonResponse({ functions: await discover() }, 200, corsHeaders());
  }
  if (!url.pathname.startsWith(PREFIX)) {
    return jsonResponse(
      { error: { code: 'not_found', message: `Functions live under ${PREFIX}<name>.` } },
      404,
      corsHeaders(),
    );
  }
  const rest = url.pathname.slice(PREFIX.length);
  const name = rest.split('/')[0] ?? '';
  if (!isFunctionName(name) || !(await entryOf(name))) {
    if (req.method === 'OPTIONS') return preflightResponse();
    return jsonResponse(
      {
        error: {
          code: 'not_found',
          message: `No function named ${JSON.stringify(name)}. Known: ${(await discover()).join(', ')}.`,
        },
      },
      404,
      corsHeaders(),
    );
  }
  let handler: Handler;
  try {
    handler = await load(name);
  } catch (error) {
    loaded.delete(name); // retry the import on the next request (after fixing env or code)
    const message = error instanceof Error ? error.message : String(error);
    console.error(`functions: ${name} failed to load: ${message}`);
    return jsonResponse(
      { error: { code: 'invalid_config', message: `${name} could not start: ${message}` } },
      500,
      corsHeaders(),
    );
  }
  const inner = new URL(req.url);
  inner.pathname = `/${rest}`;
  return await handler(forwardedRequest(req, inner));
}

/**
 * `req` for the function at `url`. Built field by field: `new Request(url, req)` copies
 * req.signal, and reading a Deno.serve request's signal prints Deno's legacy-abort deprecation
 * warning (that signal also aborts after every successful response). Functions never use it.
 */
export function forwardedRequest(req: Request, url: URL): Request {
  const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers: req.headers, redirect: req.redirect };
  if (req.body) {
    init.body = req.body;
    init.duplex = 'half'; // a streamed body, as it arrives
  }
  return new Request(url, init);
}

if (import.meta.main) await main();

async function main(): Promise<void> {
  // Started by a Node parent with a stdin pipe: when the parent dies, however it dies, stdin
  // closes and the gateway goes with it instead of holding port 54321.
  if (Deno.env.get('FUNCTIONS_EXIT_WITH_PARENT') === '1') {
    (async () => {
      for await (const _ of Deno.stdin.readable);
      Deno.exit(0);
    })();
  }

  const port = Number(Deno.env.get('FUNCTIONS_PORT') ?? 54321);
  const hostname = Deno.env.get('FUNCTIONS_HOST') ?? '127.0.0.1';
  const names = await discover();
  for (const name of names) {
    try {
      await load(name);
      console.log(`functions: ${name} ready`);
    } catch (error) {
      loaded.delete(name);
      console.error(`functions: ${name} failed to load: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  Deno.serve(
    {
      port,
      hostname,
      onListen: ({ hostname, port }) => console.log(`functions: listening on http://${hostname}:${port}${PREFIX}`),
    },
    route,
  );
}
