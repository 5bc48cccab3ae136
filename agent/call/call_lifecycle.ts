// How a call ends. Whatever ends it (a tool, a limit, a provider failure, the caller hanging up,
// the worker shutting down) goes through one path: end() records the first reason, stops the
// call's timers and watchers, says the farewell if there is one, and shuts the session down.
// Ending never waits on stuck speech: a drain that outlasts drainTimeoutMs is cut (the speech is
// interrupted), and a session that still does not close is left behind so the call can end.
// When the session has closed, finishCall says a farewell still owed, hangs up (deletes the room,
// so the caller hears it), closes the provider connections, queues the transcript's last turns and
// completes the calls row.
import { setTimeout as sleep } from 'node:timers/promises';
import { voice } from '@livekit/agents';
import { errorMessage } from '../../shared/errors.ts';
import type { CallEndReason } from '../config/types.ts';
import type { CallControls } from './call_controls.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import type { CallPipeline } from './call_pipeline.ts';
import type { CallRecord } from './call_record.ts';
import type { CallRecordWriter } from './call_record_writer.ts';
import type { TranscriptRecorder } from './transcript_recorder.ts';
import { withinMs } from './provider_deadlines.ts';
import { farewellOwedAfterClose, type SessionClose } from './farewell_owed.ts';

export interface CallOutcome {
  reason: CallEndReason;
  /** The calls row's id: written, or still queued while the database is away; null if it refused the row. */
  callRowId: string | null;
}

/** What other parts of the call may do to end it (tools, limits, the provider-failure policy). */
export interface EndableCall {
  /** True once the call is ending: whatever happens after that changes nothing. */
  readonly ended: boolean;
  end(reason: CallEndReason, farewell?: string): Promise<void>;
}

export interface ClosedCall extends SessionClose {
  /** The error the session closed with, if any. */
  error: unknown;
}

export interface CallLifecycleOptions {
  session: voice.AgentSession;
  log: Logger;
  /** How long a farewell may play before the call is cut, in ms. */
  farewellTimeoutMs: number;
  /** How long the session may drain once shut down before its speech is cut, in ms. */
  drainTimeoutMs: number;
}

export class CallLifecycle implements EndableCall {
  readonly #options: CallLifecycleOptions;
  #reason: CallEndReason | undefined;
  #unsaidFarewell: string | undefined;
  #onEnd: Array<() => void> = [];
  #settle: ((closed: ClosedCall) => void) | undefined;
  /** Resolves once the session has closed (or was given up on), with the reason the call ended. */
  readonly closed: Promise<ClosedCall>;

  constructor(options: CallLifecycleOptions) {
    this.#options = options;
    this.closed = new Promise((resolve) => {
      this.#settle = (closed) => {
        this.#settle = undefined;
        resolve(closed);
      };
      options.session.on(voice.AgentSessionEventTypes.Close, (ev) => this.#settle?.(this.#close(ev.reason, ev.error)));
    });
  }

  get ended(): boolean {
    return this.#reason !== undefined;
  }

  /** Runs `stop` when the call ends (timers, watchers); at once if it has already ended. */
  onEnd(stop: () => void): void {
    if (this.ended) stop();
    else this.#onEnd.push(stop);
  }

  /** Ends the call: the first reason wins, later calls do nothing. */
  async end(reason: CallEndReason, farewell?: string): Promise<void> {
    if (this.ended) return;
    this.#reason = reason;
    this.#options.log.info({ reason }, 'ending the call');
    this.#stop();
    if (farewell) await this.#sayFarewell(farewell);
    this.#options.session.shutdown({ drain: true, reason });
    await this.#boundDrain();
  }

  /** Speech still playing may finish, within drainTimeoutMs; then it is cut, then given up on. */
  async #boundDrain(): Promise<void> {
    const { session, drainTimeoutMs, log } = this.#options;
    const settled = this.closed.then(() => 'closed' as const);
    if ((await withinMs(settled, drainTimeoutMs)) !== 'timeout') return;
    log.warn({ drainTimeoutMs }, 'the session is still draining: cutting its speech');
    try {
      session.interrupt({ force: true });
    } catch {
      // Already closed in between: nothing left to cut.
    }
    if ((await withinMs(settled, drainTimeoutMs)) !== 'timeout') return;
    log.error({ drainTimeoutMs }, 'the session did not close: ending the call without it');
    this.#settle?.(this.#close('drain_timeout', null));
  }

  async #sayFarewell(text: string): Promise<void> {
    const { session, farewellTimeoutMs, log } = this.#options;
    try {
      const handle = session.say(text, { allowInterruptions: false, addToChatCtx: true });
      await Promise.race([handle.waitForPlayout(), sleep(farewellTimeoutMs, undefined, { ref: false })]);
    } catch (error) {
      // The session is already closing (an STT failure closes it at once): said after the close.
      this.#unsaidFarewell = text;
      log.warn({ err: errorMessage(error) }, 'the session could not say the farewell');
    }
  }

  #close(closedBy: string, error: unknown): ClosedCall {
    this.#stop();
    // Nobody called end(): the session closed by itself (the caller hung up, a provider failed).
    this.#reason ??= reasonForClose(closedBy, error);
    return { reason: this.#reason, closedBy, error, unsaidFarewell: this.#unsaidFarewell };
  }

  #stop(): void {
    for (const stop of this.#onEnd.splice(0)) stop();
  }
}

/** Why the call ended when the session closed without end(). */
export function reasonForClose(closedBy: string, error: unknown): CallEndReason {
  if (closedBy === 'participant_disconnected') return 'caller_hangup';
  if (closedBy === 'error' || error) return 'provider_error';
  if (closedBy === 'job_shutdown') return 'worker_shutdown';
  return 'agent_hangup';
}

export interface FinishCallParts {
  pipeline: CallPipeline;
  controls: CallControls;
  record: CallRecord;
  writer: CallRecordWriter;
  transcript: Pick<TranscriptRecorder, 'finish'>;
  log: Logger;
}

/** After the session closed: a farewell still owed, the hang-up, then the completed calls row. */
export async function finishCall(closed: ClosedCall, parts: FinishCallParts): Promise<CallOutcome> {
  const { pipeline, record, log } = parts;
  if (closed.error) record.providerFailed({ message: errorMessage(closed.error) });
  const farewell = farewellOwedAfterClose(closed);
  if (farewell && (await pipeline.sayAfterClose(farewell))) record.farewellSaidAfterClose();
  await parts.controls.hangUp();
  await pipeline.close();
  // The last turns go in line before the end, so call.ended carries the whole transcript.
  parts.transcript.finish();
  const callRowId = await parts.writer.complete(closed.reason);
  log.info({ reason: closed.reason, turns: record.turns }, 'call ended');
  return { reason: closed.reason, callRowId };
}
