// The config's limits on a live call: silence_timeout_ms (ask once whether the caller is still
// there, then say goodbye and hang up) and max_call_duration_ms (say goodbye and hang up), counted
// from the call's start. Armed once the session has started; hot reload re-arms them.
import { voice } from '@livekit/agents';
import type { AgentConfig } from '../../shared/agent_config.ts';
import type { CallEndReason } from '../config/types.ts';
import { MAX_DURATION_GOODBYE, SILENCE_GOODBYE, SILENCE_REMINDER } from './fallback.ts';
import { SilenceMonitor } from './silence_monitor.ts';

export type CallLimitsConfig = Pick<AgentConfig, 'silence_timeout_ms' | 'max_call_duration_ms'>;

export interface CallLimitsOptions {
  session: voice.AgentSession;
  startedAt: Date;
  /** A ceiling under the config's max_call_duration_ms, in ms (tests); Infinity for none. */
  maxCallDurationMs: number;
  end: (reason: CallEndReason, farewell: string) => void;
}

export class CallLimits {
  readonly #options: CallLimitsOptions;
  readonly #silence: SilenceMonitor;
  #maxDurationTimer: NodeJS.Timeout | undefined;

  /** Arms both limits for a session that has started. */
  constructor(config: CallLimitsConfig, options: CallLimitsOptions) {
    const { session, end } = options;
    this.#options = options;
    this.#silence = new SilenceMonitor({
      timeoutMs: config.silence_timeout_ms,
      onReminder: () => session.say(SILENCE_REMINDER),
      onGiveUp: () => end('silence_timeout', SILENCE_GOODBYE),
    });
    this.#listen(session);
    this.#silence.agentState(session.agentState);
    this.#scheduleMaxDuration(config.max_call_duration_ms);
  }

  /** The config changed mid-call: new limits apply at once. */
  update(config: CallLimitsConfig): void {
    this.#silence.setTimeoutMs(config.silence_timeout_ms);
    this.#scheduleMaxDuration(config.max_call_duration_ms);
  }

  stop(): void {
    this.#silence.stop();
    clearTimeout(this.#maxDurationTimer);
  }

  #listen(session: voice.AgentSession): void {
    const silence = this.#silence;
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type === 'message' && ev.item.role === 'user') silence.callerSpoke();
    });
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => silence.agentState(ev.newState));
    session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => silence.callerState(ev.newState));
  }

  #scheduleMaxDuration(configMaxMs: number): void {
    const { startedAt, maxCallDurationMs, end } = this.#options;
    clearTimeout(this.#maxDurationTimer);
    const left = Math.max(0, startedAt.getTime() + Math.min(configMaxMs, maxCallDurationMs) - Date.now());
    this.#maxDurationTimer = setTimeout(() => end('max_duration', MAX_DURATION_GOODBYE), left);
    this.#maxDurationTimer.unref?.();
  }
}
