// Fault helpers for the Deno function tests: a TCP fault proxy (test/fakes/tcp_proxy.ts, started
// by npm run test:deno and driven over FAULT_PROXY_URL) in front of Postgres or the ElevenLabs
// fake, and a stopwatch that gives up instead of hanging when a function never answers.

export type ProxyMode =
  | { kind: 'pass' | 'refuse' | 'reset' | 'stall' }
  | { kind: 'stall_after'; bytes: number }
  | { kind: 'trickle'; bytes?: number; intervalMs?: number };

export interface FaultProxy {
  /** `url` pointed at the proxy instead of its own host and port. */
  rewrite(url: string): string;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

function controlUrl(): string {
  const url = Deno.env.get('FAULT_PROXY_URL');
  if (!url) throw new Error('FAULT_PROXY_URL is not set: run the function tests with `npm run test:deno`.');
  return url;
}

async function call(path: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${controlUrl()}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await res.json();
  if (!res.ok) throw new Error(`fault proxy ${path}: ${JSON.stringify(payload)}`);
  return payload;
}

/** A proxy to the host and port of `targetUrl`, passing everything until told otherwise. */
export async function openFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const { id, port } = await call('/proxies', 'POST', { host: target.hostname, port: Number(target.port) });
  return {
    rewrite(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString().replace(/\/$/, '');
    },
    setMode: async (mode) => void (await call(`/proxies/${id}/mode`, 'POST', mode)),
    close: async () => void (await call(`/proxies/${id}`, 'DELETE')),
  };
}

export interface Timed<T> {
  value: T;
  ms: number;
}

/**
 * `work()` and how long it took; fails with `what` after `giveUpMs` rather than hang the file
 * (the work itself is left running: that is the bug being reported).
 */
export async function timed<T>(what: string, giveUpMs: number, work: () => Promise<T>): Promise<Timed<T>> {
  const startedAt = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${giveUpMs} ms`)), giveUpMs);
  });
  try {
    const value = await Promise.race([work(), giveUp]);
    return { value, ms: performance.now() - startedAt };
  } finally {
    clearTimeout(timer);
  }
}

/** How a response body ended: 'complete' with its bytes, or 'broken'. */
export async function drain(res: Response): Promise<{ outcome: 'complete' | 'broken'; bytes: number }> {
  try {
    return { outcome: 'complete', bytes: (await res.arrayBuffer()).byteLength };
  } catch {
    return { outcome: 'broken', bytes: 0 };
  }
}
