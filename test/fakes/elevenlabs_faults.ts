// The ElevenLabs fake's canned failures, and its slow and broken bodies: an answer whose headers arrive and whose body
// then stalls, or trickles a few bytes at a time, as a congested or wedged upstream does.
import type { ServerResponse } from 'node:http';

/** Canned failures, each with ElevenLabs' real status and body. */
export type FailureKind =
  | 'invalid_api_key' // 401
  | 'quota_exceeded' // 401
  | 'too_many_concurrent_requests' // 429
  | 'system_busy' // 429
  | 'voice_not_found' // 400 or 404 (voiceNotFoundStatus)
  | 'server_error' // 500
  | 'non_audio' // 200 with a JSON body
  | 'hang' // never answers (the client's timeout fires)
  | 'reset' // destroys the socket mid-stream, after the first chunk
  | 'stall_body' // headers, then part of the body, then nothing until the client leaves (or reset/close)
  | 'stall_error_body' // a 500 with part of its error body, then nothing (as stall_body)
  | 'trickle' // headers, then the body `trickleBytes` at a time every `trickleIntervalMs`
  | 'ws_reject' // WebSocket upgrade answered with HTTP 401
  | 'ws_never_final' // contexts never get isFinal
  | 'ws_close_mid_stream' // closes 1011 after the first audio message
  | 'ws_refuse' // the upgrade request is dropped: the TCP connection closes with no answer
  | 'ws_silent' // the socket opens and takes text, then never answers (no audio, no isFinal)
  | 'ws_stall_after_first_audio' // the first audio message, then nothing more on this socket
  | 'ws_reset' // the TCP connection is destroyed (no close frame) after the first audio message
  | 'ws_max_contexts'; // max_active_conversations error then close 1008

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
export async function sendFaultyBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Uint8Array,
  options: BodyFaultOptions,
): Promise<void> {
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
