// The TTS voice of one call. A voice change from the config applies from the next utterance.
// When ElevenLabs cannot speak in the configured voice, the call switches to the catalog default
// voice and keeps talking (tts_failover.ts says the utterance again). The cause goes with the
// report: an error (voice_not_found, or the socket closing, which is how a missing voice usually
// shows) gets the owner a voice_not_found config issue; a stall (an ElevenLabs outage) does not.
import type { tts } from '@livekit/agents';

/** The part of the ElevenLabs TTS this needs: a live voice switch. */
interface VoiceSwitchable {
  updateOptions(options: { voiceId?: string }): void;
}

/** error: ElevenLabs refused or closed on the voice; stalled: it went quiet past a deadline. */
export type VoiceFailureCause = 'error' | 'stalled';
export type VoiceFailedHandler = (failed: string, fallback: string, cause: VoiceFailureCause) => void;

export interface CallVoiceOptions {
  tts: tts.TTS | null;
  voiceId: string;
  defaultVoiceId: string;
  /** Reports the failed voice and the one used from now on; errors are the caller's to log. */
  onVoiceFailed: VoiceFailedHandler;
}

export class CallVoice {
  #tts: (tts.TTS & Partial<VoiceSwitchable>) | null;
  #active: string;
  #configured: string;
  #default: string;
  #onVoiceFailed: VoiceFailedHandler;

  constructor(options: CallVoiceOptions) {
    this.#tts = options.tts;
    this.#active = options.voiceId;
    this.#configured = options.voiceId;
    this.#default = options.defaultVoiceId;
    this.#onVoiceFailed = options.onVoiceFailed;
  }

  get activeVoiceId(): string {
    return this.#active;
  }

  setDefaultVoice(voiceId: string): void {
    this.#default = voiceId;
  }

  /** The config now names this voice: use it from the next utterance. Returns whether it changed. */
  configure(voiceId: string): boolean {
    this.#configured = voiceId;
    return this.#switchTo(voiceId);
  }

  /**
   * TTS failed for good. Falls back to the default voice when the failing voice is another one;
   * returns false when already on the default voice (nothing left to try).
   */
  fail(cause: VoiceFailureCause = 'error'): boolean {
    if (this.#active === this.#default) return false;
    const failed = this.#active;
    this.#switchTo(this.#default);
    this.#onVoiceFailed(failed, this.#default, cause);
    return true;
  }

  get configuredVoiceId(): string {
    return this.#configured;
  }

  #switchTo(voiceId: string): boolean {
    if (voiceId === this.#active) return false;
    this.#active = voiceId;
    this.#tts?.updateOptions?.({ voiceId });
    return true;
  }
}
