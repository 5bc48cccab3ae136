// Slow and broken bodies for the ElevenLabs fake: an answer whose headers arrive and whose body
// then stalls, or trickles a few bytes at a time, as a congested or wedged upstream does.
import type { ServerResponse } from 'node:http';

export type BodyFault = 'stall_body' | 'trickle';

export interface BodyFaultOptions {
  fault: BodyFault;
  /** Bytes sent before a stall. Default: half the body, at most 4096. */
  stallAfterBytes?: number;
  /** Bytes per trickle step. */
  trickleBytes: number;
  /** Pause between trickle steps, in milliseconds. */
  trickleIntervalMs: number;
  held: HeldResponses;
}

/** Responses kept open on purpose; each ends when the client leaves or on releaseAll(). */
export class HeldResponses {
  private readonly waiters = new Set<() => void>();

  /** Resolves when the client went away or releaseAll() ran. */
  hold(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      res.once('close', done);
    });
  }

  releaseAll(): void {
    for (const done of [...this.waiters]) done();
  }
}

/** Sends `status` and `headers` (with the full content-length), then the body as `options.fault` says. */
export async function sendFaultyBody(res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array, options: BodyFaultOptions): Promise<void> {
  res.writeHead(status, { ...headers, 'content-length': String(body.byteLength) });
  if (options.fault === 'stall_body') {
    res.write(body.subarray(0, options.stallAfterBytes ?? Math.min(4096, Math.floor(body.byteLength / 2))));
    await options.held.hold(res);
    res.destroy();
    return;
  }
  let released = false;
  void options.held.hold(res).then(() => (released = true));
  for (let offset = 0; offset < body.byteLength && !released; offset += options.trickleBytes) {
    res.write(body.subarray(offset, offset + options.trickleBytes));
    await new Promise((resolve) => setTimeout(resolve, options.trickleIntervalMs));
  }
  if (released) res.destroy();
  else res.end();
}
