// The call's transcript, written as the call goes. Every turn the session adds to its
// conversation (the caller's words, the agent's words, interrupted or not) and every tool call
// with its arguments and result becomes a call_turns row, numbered in the order it happened.
// Turns are written in batches (every flushIntervalMs, or as soon as flushTurns wait) through the
// call's durable write queue under one key per call, so a batch still waiting is replaced by a
// bigger one in its place in line, and a retried batch adds nothing (call_id, seq are unique).
// A job process that dies mid-call loses at most the last interval; a database outage is ridden
// out in memory (at most maxPendingTurns turns; past that, newer turns are dropped and counted,
// the older ones kept) and flushed when it is back. Transcripts are PII: never logged.
import { llm, voice } from '@livekit/agents';
import { AppError, errorMessage } from '../../shared/errors.ts';
import type { CallTurnRow } from '../store/call_outcomes.ts';
import type { CallStore } from '../store/call_store.ts';
import type { DurableWrites } from '../store/durable_writes.ts';
import type { CallLogger as Logger } from './call_logger.ts';

/** Longest text a turn keeps (the column's limit); longer text is cut and marked truncated. */
export const MAX_TURN_CHARACTERS = 8_000;

export interface TranscriptRecorderOptions {
  /** How often waiting turns are written, in ms. Default 2 000. */
  flushIntervalMs?: number;
  /** Write as soon as this many turns wait. Default 10. */
  flushTurns?: number;
  /** Most turns held while the database is away; newer ones are dropped past it. Default 2 000. */
  maxPendingTurns?: number;
}

export const DEFAULT_TRANSCRIPT_OPTIONS = { flushIntervalMs: 2_000, flushTurns: 10, maxPendingTurns: 2_000 } as const;

export interface TranscriptRecorderDeps {
  store: CallStore;
  writes: DurableWrites;
  /** The calls row id to file turns under, read when a batch is written. */
  rowId: () => string;
  /** When the call was answered (epoch ms); offsets count from it. */
  answeredAtMs: () => number;
  log: Logger;
}

export class TranscriptRecorder {
  readonly #deps: TranscriptRecorderDeps;
  readonly #options: Required<TranscriptRecorderOptions>;
  /** Every turn of the call, in order (the post-call analysis reads them). */
  readonly #turns: CallTurnRow[] = [];
  /** Turns not yet confirmed written, in order. */
  #unwritten: CallTurnRow[] = [];
  /** Turns added since the last batch was queued. */
  #sinceFlush = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: TranscriptRecorderDeps, options: TranscriptRecorderOptions = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_TRANSCRIPT_OPTIONS, ...options };
  }

  /** The call's turns so far. */
  get turns(): readonly CallTurnRow[] {
    return this.#turns;
  }

  /** Listens to the session's conversation and tool events, and starts the flush timer. */
  observe(session: voice.AgentSession): void {
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item instanceof llm.ChatMessage) this.#addMessage(ev.item, ev.createdAt);
    });
    session.on(voice.AgentSessionEventTypes.FunctionToolsExecuted, (ev) => {
      for (const [call, output] of voice.zipFunctionCallsAndOutputs(ev)) this.#addToolCall(call, output);
    });
    this.#timer = setInterval(() => this.flush(), this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Queues the turns not yet written (if any turn arrived since the last batch). */
  flush(): void {
    if (this.#sinceFlush === 0 || this.#unwritten.length === 0) return;
    this.#sinceFlush = 0;
    const batch = [...this.#unwritten];
    const { store, writes, rowId } = this.#deps;
    const callId = rowId();
    writes
      .enqueue({ key: `turns:${callId}`, what: 'transcript turns', apply: () => store.recordTurns(rowId(), batch) })
      .then(
        () => this.#written(batch.at(-1)!.seq),
        (error: unknown) => this.#notWritten(batch, error),
      );
  }

  /** The call is over: stops the timer and queues the last turns. */
  finish(): void {
    clearInterval(this.#timer);
    this.flush();
    if (this.#dropped > 0)
      this.#deps.log.error(
        { dropped_turns: this.#dropped },
        'transcript turns dropped: too many waiting for the database',
      );
  }

  #addMessage(item: llm.ChatMessage, eventAtMs: number): void {
    const role = item.role === 'user' ? 'caller' : item.role === 'assistant' ? 'agent' : null;
    const text = item.textContent ?? '';
    if (!role || !text.trim()) return;
    const started = secondsToMs(item.metrics.startedSpeakingAt) ?? item.createdAt;
    const ended = secondsToMs(item.metrics.stoppedSpeakingAt) ?? Math.max(eventAtMs, started);
    this.#add({
      role,
      ...cut(text),
      ...this.#offsets(started, ended),
      interrupted: item.interrupted,
      tool_name: null,
      tool_arguments: null,
      tool_result: null,
    });
  }

  #addToolCall(call: llm.FunctionCall, output: llm.FunctionCallOutput | undefined): void {
    const result = output ? { output: cut(output.output).text, is_error: output.isError } : null;
    this.#add({
      role: 'tool',
      text: '',
      truncated: false,
      ...this.#offsets(call.createdAt, output?.createdAt ?? call.createdAt),
      interrupted: false,
      tool_name: call.name,
      tool_arguments: parseArguments(call.args),
      tool_result: result,
    });
  }

  #add(turn: Omit<CallTurnRow, 'seq'>): void {
    if (this.#unwritten.length >= this.#options.maxPendingTurns) {
      this.#dropped += 1;
      return;
    }
    const row = { seq: this.#turns.length + this.#dropped, ...turn };
    this.#turns.push(row);
    this.#unwritten.push(row);
    this.#sinceFlush += 1;
    if (this.#sinceFlush >= this.#options.flushTurns) this.flush();
  }

  #offsets(startedAtMs: number, endedAtMs: number): Pick<CallTurnRow, 'started_ms' | 'ended_ms'> {
    const from = this.#deps.answeredAtMs();
    const started = Math.max(0, Math.round(startedAtMs - from));
    return { started_ms: started, ended_ms: Math.max(started, Math.round(endedAtMs - from)) };
  }

  #written(lastSeq: number): void {
    this.#unwritten = this.#unwritten.filter((turn) => turn.seq > lastSeq);
  }

  /** A full queue keeps the turns for the next batch; a batch the database refused is dropped. */
  #notWritten(batch: CallTurnRow[], error: unknown): void {
    if (error instanceof AppError && error.code === 'unavailable') {
      this.#sinceFlush += batch.length;
      return;
    }
    this.#deps.log.error(
      { err: errorMessage(error), turns: batch.length },
      'transcript turns refused by the database: dropped',
    );
    this.#written(batch.at(-1)!.seq);
  }
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}

/** Cut by characters (code points, as the database counts them), never inside a surrogate pair. */
function cut(text: string): { text: string; truncated: boolean } {
  if (text.length <= MAX_TURN_CHARACTERS) return { text, truncated: false };
  const chars = Array.from(text);
  if (chars.length <= MAX_TURN_CHARACTERS) return { text, truncated: false };
  return { text: chars.slice(0, MAX_TURN_CHARACTERS).join(''), truncated: true };
}

/** Tool arguments as JSON; arguments the model sent malformed are kept as their raw text. */
function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args || '{}');
  } catch {
    return { raw: cut(args).text };
  }
}
