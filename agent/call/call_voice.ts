// The TTS voice of one call. A voice change from the config applies from the next utterance.
// When ElevenLabs cannot speak in the configured voice (voice_not_found, or the socket closing,
// which is how a missing voice usually shows), the call switches to the catalog default voice
// and keeps talking; the owner gets a voice_not_found config issue.
import type { tts } from '@livekit/agents';

/** The part of the ElevenLabs TTS this needs: a live voice switch. */
interface VoiceSwitchable {
  updateOptions(options: { voiceId?: string }): void;
}

export interface CallVoiceOptions {
  tts: tts.TTS | null;
  voiceId: string;
  defaultVoiceId: string;
  /** Reports the failed voice and the one used from now on; errors are the caller's to log. */
  onVoiceFailed: (failed: string, fallback: string) => void;
}

export class CallVoice {
  #tts: (tts.TTS & Partial<VoiceSwitchable>) | null;
  #active: string;
  #configured: string;
  #default: string;
  #onVoiceFailed: (failed: string, fallback: string) => void;
  readonly fallbacks: Array<{ from: string; to: string }> = [];

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
  fail(): boolean {
    if (this.#active === this.#default) return false;
    const failed = this.#active;
    this.fallbacks.push({ from: failed, to: this.#default });
    this.#switchTo(this.#default);
    this.#onVoiceFailed(failed, this.#default);
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
