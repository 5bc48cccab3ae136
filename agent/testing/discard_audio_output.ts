// An audio sink that plays instantly: lets TTS run in a session with no room (tests, bench),
// so the ElevenLabs plugin really synthesizes each utterance.
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';

export class DiscardAudioOutput extends voice.AudioOutput {
  frames = 0;
  #started = false;

  constructor(sampleRate = 16000) {
    super(sampleRate);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (!this.#started) {
      this.#started = true;
      this.onPlaybackStarted(Date.now());
    }
    this.frames += 1;
  }

  override flush(): void {
    super.flush();
    this.#finish(false);
  }

  clearBuffer(): void {
    this.#finish(true);
  }

  #finish(interrupted: boolean): void {
    if (!this.#started && interrupted) return;
    this.#started = false;
    queueMicrotask(() => {
      if (this.pendingPlayoutSegments > 0) this.onPlaybackFinished({ playbackPosition: 0, interrupted });
    });
  }
}
