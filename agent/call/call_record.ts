// What a call's `calls` row gets: the start (who called whom, which config answered), then at
// the end the end reason, turns, latency and usage figures, and the details column. Each part of
// the call reports what happened through one method here, so a new field is added in one place:
// its type in CallDetails (or the row types in agent/config/types.ts) and the method that sets it.
// Writing the row is call_record_writer.ts's job.
import { voice } from '@livekit/agents';
import type { CallCompletion, CallEndReason, CallStart } from '../config/types.ts';
import type { CallInfo } from './call_info.ts';
import { CallMetrics } from './call_metrics.ts';
import type { AppliedChange } from './config_reload.ts';
import type { CallConfig } from './resolve_call_config.ts';

/** A provider that failed for good; `type` is the framework's error type (`llm_error`, …) when known. */
export interface ProviderFailure {
  type?: string;
  message: string;
}

/** The calls row's `details` column (jsonb). */
export type CallDetails = {
  /** Every hot-reload change applied during the call, in order. */
  config_changes: AppliedChange[];
  /** ElevenLabs could not speak in the configured voice: the call went on in the default voice. */
  voice_fallback?: { from: string; to: string };
  /** Why LiveKit or the carrier refused the transfer (the call went on). */
  transfer_error?: string;
  /** The provider failure that ended the call (the first one seen). */
  provider_error?: ProviderFailure;
  /** The farewell was said by a second, short-lived session after the main one had closed. */
  farewell_after_close?: true;
};

export function callStartRow(info: CallInfo, callConfig: CallConfig, startedAt: Date): CallStart {
  const agent = callConfig.kind === 'agent' ? callConfig : null;
  return {
    room_name: info.roomName,
    livekit_call_id: info.callId,
    trunk_id: info.trunkId,
    dispatch_rule_id: info.dispatchRuleId,
    caller_number: info.callerNumber,
    dialed_number: info.dialedNumber,
    owner_id: agent?.ownerId ?? null,
    agent_config_id: agent?.agentConfigId ?? null,
    // The generic receptionist (no config id) has no version worth recording.
    config_version: agent?.agentConfigId ? agent.config.version : null,
    config_source: callConfig.origin,
    started_at: startedAt.toISOString(),
  };
}

export class CallRecord {
  readonly start: CallStart;
  readonly #details: CallDetails = { config_changes: [] };
  readonly #metrics = new CallMetrics();
  #answeredAt: Date | null = null;
  #turns = 0;

  constructor(start: CallStart) {
    this.start = start;
  }

  /** Caller turns so far: each user message in the conversation. */
  get turns(): number {
    return this.#turns;
  }

  /** Counts caller turns and collects latency and usage from the framework's metrics events. */
  observe(session: voice.AgentSession): void {
    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => this.#metrics.add(ev.metrics));
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type === 'message' && ev.item.role === 'user') this.#turns += 1;
    });
  }

  /** When the call was answered (epoch ms), or null before. */
  get answeredAtMs(): number | null {
    return this.#answeredAt?.getTime() ?? null;
  }

  answered(at: Date = new Date()): void {
    this.#answeredAt = at;
  }

  configChanged(change: AppliedChange): void {
    this.#details.config_changes.push(change);
  }

  voiceFellBack(from: string, to: string): void {
    this.#details.voice_fallback = { from, to };
  }

  transferFailed(message: string): void {
    this.#details.transfer_error = message;
  }

  /** Keeps the first failure: later ones (the session closing because of it) add nothing. */
  providerFailed(failure: ProviderFailure): void {
    this.#details.provider_error ??= failure;
  }

  farewellSaidAfterClose(): void {
    this.#details.farewell_after_close = true;
  }

  /** The conversation's LLM tokens so far (the post-call analysis adds its own). */
  llmTokens(): { prompt: number; completion: number } {
    const { llm_prompt_tokens, llm_completion_tokens } = this.#metrics.figures();
    return { prompt: llm_prompt_tokens, completion: llm_completion_tokens };
  }

  /** The row's end, as of now. */
  completion(endReason: CallEndReason): CallCompletion {
    const { turn_latencies_ms, ...figures } = this.#metrics.figures();
    return {
      answered_at: this.#answeredAt?.toISOString() ?? null,
      ended_at: new Date().toISOString(),
      end_reason: endReason,
      turns: this.#turns,
      ...figures,
      details: { ...this.#details, turn_latencies_ms },
    };
  }
}
