// The caller's earpiece, as a session's audio output with no room: each reply "plays" for as long
// as its audio lasts (so the framework sees a speaking agent, as on a call, and the caller's next
// sentence never talks over it), and the first synthesized frame of each reply is reported: that
// is when the caller would start hearing the agent.
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';

export class ReplyAudioOutput extends voice.AudioOutput {
  readonly #onReplyStarted: (at: number) => void;
  #startedAt: number | null = null;
  #audioMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(onReplyStarted: (at: number) => void, sampleRate = 16000) {
    super(sampleRate);
    this.#onReplyStarted = onReplyStarted;
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (this.#startedAt === null) {
      this.#startedAt = Date.now();
      this.#audioMs = 0;
      this.#onReplyStarted(this.#startedAt);
      this.onPlaybackStarted(this.#startedAt);
    }
    this.#audioMs += (frame.samplesPerChannel * 1000) / frame.sampleRate;
  }

  /** The reply's last frame is in: it finishes playing when its audio has had time to play. */
  override flush(): void {
    super.flush();
    if (this.#startedAt === null) {
      this.#finish(false, 0);
      return;
    }
    const playedOutAt = this.#startedAt + this.#audioMs;
    const position = this.#audioMs;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#finish(false, position), Math.max(0, playedOutAt - Date.now()));
  }

  /** The caller barged in: playback stops now. */
  clearBuffer(): void {
    clearTimeout(this.#timer);
    const position = this.#startedAt === null ? 0 : Math.min(this.#audioMs, Date.now() - this.#startedAt);
    this.#finish(true, position);
  }

  #finish(interrupted: boolean, positionMs: number): void {
    this.#startedAt = null;
    if (this.pendingPlayoutSegments > 0) this.onPlaybackFinished({ playbackPosition: positionMs / 1000, interrupted });
  }
}
