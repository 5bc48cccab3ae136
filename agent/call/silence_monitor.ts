// Silence timeout: when neither the caller nor the agent has said anything for the config's
// silence_timeout_ms, the agent asks once whether the caller is still there; after another
// silent period it says goodbye and hangs up. Anything the caller says starts over.
export interface SilenceMonitorOptions {
  timeoutMs: number;
  /** First silent period: ask whether the caller is still there. */
  onReminder: () => void;
  /** Second silent period after the reminder: say goodbye and hang up. */
  onGiveUp: () => void;
}

export class SilenceMonitor {
  #timeoutMs: number;
  #options: SilenceMonitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #agentListening = false;
  #callerSpeaking = false;
  #reminded = false;
  #stopped = false;

  constructor(options: SilenceMonitorOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs;
  }

  get reminded(): boolean {
    return this.#reminded;
  }

  /** From agent_state_changed: the clock runs only while the agent is listening. */
  agentState(state: string): void {
    this.#agentListening = state === 'listening';
    this.#rearm();
  }

  /** From user_state_changed: 'speaking' stops the clock, 'listening' restarts it. */
  callerState(state: string): void {
    this.#callerSpeaking = state === 'speaking';
    if (this.#callerSpeaking) this.#reminded = false;
    this.#rearm();
  }

  /** The caller said something (a final transcript or a typed turn). */
  callerSpoke(): void {
    this.#reminded = false;
    this.#rearm();
  }

  setTimeoutMs(timeoutMs: number): void {
    this.#timeoutMs = timeoutMs;
    this.#rearm();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #rearm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped || !this.#agentListening || this.#callerSpeaking) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#reminded) {
        this.stop();
        this.#options.onGiveUp();
      } else {
        this.#reminded = true;
        this.#options.onReminder();
      }
    }, this.#timeoutMs);
    this.#timer.unref?.();
  }
}
