// Hot reload: a newer config for the dialed number reaches the live call. A prompt change applies
// from the next turn (updateInstructions), a voice change from the next utterance, a model change
// swaps the LLM, a change in the tools the config offers (a transfer number appearing or going)
// updates the tools, and new limits re-arm the timers. Changes apply one at a time, in version
// order; each applied change is logged.
import type { AgentConfig, ResolvedAgentConfig } from '../../shared/agent_config.ts';
import type { CallAgent } from './call_agent.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import { type CallActions, callTools, offeredToolNames } from './call_tools.ts';
import type { CallVoice } from './call_voice.ts';
import { buildInstructions, type CallerContext } from './instructions.ts';
import type { CallProviders } from './providers.ts';
import { defaultVoiceOf, effectiveVoiceId } from './resolve_call_config.ts';

export interface AppliedChange {
  version: number;
  changed: string[];
  applied_at: string;
}

/** The config in effect on a call, shared by whatever reads it mid-call (the tools' actions). */
export interface LiveConfig {
  current: AgentConfig;
}

export interface ConfigReloaderOptions {
  /** Starts as the call's config; the reloader replaces `current` with each change it applies. */
  live: LiveConfig;
  caller: CallerContext;
  agent: CallAgent;
  actions: CallActions;
  voice: CallVoice;
  providers: CallProviders;
  hasStt: boolean;
  log: Logger;
  onApplied: (change: AppliedChange) => void;
  onLimits: (config: AgentConfig) => void;
}

const FIELDS = [
  'system_prompt',
  'voice_id',
  'llm_model',
  'stt_language',
  'transfer_number',
  'max_call_duration_ms',
  'silence_timeout_ms',
  'greeting',
  'name',
  'take_messages',
] as const;

export class ConfigReloader {
  #options: ConfigReloaderOptions;
  #queue: Promise<void> = Promise.resolve();
  /** Settles when every change received so far has been applied (tests and bench wait on it). */
  idle: Promise<void> = Promise.resolve();

  constructor(options: ConfigReloaderOptions) {
    this.#options = options;
  }

  get current(): AgentConfig {
    return this.#options.live.current;
  }

  apply(next: ResolvedAgentConfig): void {
    this.#queue = this.#queue
      .then(() => this.#apply(next))
      .catch((error: unknown) => {
        this.#options.log.error(
          { err: error instanceof Error ? error.message : String(error) },
          'could not apply a config change',
        );
      });
    this.idle = this.#queue;
  }

  async #apply(resolved: ResolvedAgentConfig): Promise<void> {
    const { log, agent, voice, providers } = this.#options;
    const next = resolved.config;
    if (!next || next.id !== this.current.id) {
      // The number was unassigned or moved to another config mid-call: finish this call as it began.
      log.info(
        { version: next?.version ?? null },
        'the number no longer points at this config; the call keeps its config',
      );
      return;
    }
    if (next.version <= this.current.version) return;
    const prev = this.current;
    const changed: string[] = FIELDS.filter((field) => prev[field] !== next[field]);
    voice.setDefaultVoice(defaultVoiceOf(resolved));
    const voiceId = effectiveVoiceId(resolved);
    if (voiceId !== voice.configuredVoiceId && !changed.includes('voice_id')) changed.push('voice_id');
    this.#options.live.current = next;

    if (changed.includes('system_prompt') || changed.includes('transfer_number') || changed.includes('take_messages')) {
      await agent.updateInstructions(buildInstructions(next, this.#options.caller));
    }
    if (offeredToolNames(prev).join() !== offeredToolNames(next).join()) {
      await agent.updateTools(callTools(this.#options.actions, next));
    }
    if (changed.includes('voice_id')) voice.configure(voiceId);
    if (changed.includes('llm_model')) await agent.updateOptions({ llm: providers.llm(next.llm_model) });
    if (changed.includes('stt_language') && this.#options.hasStt) {
      const stt = providers.stt(next);
      if (stt) await agent.updateOptions({ stt });
    }
    if (changed.includes('max_call_duration_ms') || changed.includes('silence_timeout_ms'))
      this.#options.onLimits(next);

    const change = { version: next.version, changed, applied_at: new Date().toISOString() };
    this.#options.onApplied(change);
    log.info({ version: next.version, previousVersion: prev.version, changed }, 'applied config change');
  }
}
