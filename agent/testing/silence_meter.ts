// Measures what a caller hears: an audio sink that keeps when each agent frame arrived and how
// long it plays, and the longest unplanned silence from the caller's turn end (or the last agent
// audio) to the next agent audio or the hang-up. Frames are laid on a real-time timeline: a
// frame plays from when it arrived, or when the audio before it finished, whichever is later.
import type { AudioFrame } from '@livekit/rtc-node';
import { DiscardAudioOutput } from './discard_audio_output.ts';

interface Heard {
  startMs: number;
  endMs: number;
}

export class TimedAudioOutput extends DiscardAudioOutput {
  readonly heard: Heard[] = [];

  override async captureFrame(frame: AudioFrame): Promise<void> {
    const now = performance.now();
    const last = this.heard.at(-1);
    const startMs = Math.max(now, last?.endMs ?? now);
    this.heard.push({ startMs, endMs: startMs + (frame.samplesPerChannel / frame.sampleRate) * 1000 });
    await super.captureFrame(frame);
  }

  /** When the first frame after `fromMs` starts playing, or null. */
  firstAudioAfter(fromMs: number): number | null {
    return this.heard.find((h) => h.startMs >= fromMs)?.startMs ?? null;
  }

  /**
   * The longest stretch without agent audio between `fromMs` (the caller's turn end) and `toMs`
   * (the hang-up, or the end of the reply the test waits for).
   */
  longestSilenceMs(fromMs: number, toMs: number): number {
    let longest = 0;
    let cursor = fromMs;
    for (const h of this.heard) {
      if (h.endMs <= fromMs || h.startMs >= toMs) continue;
      longest = Math.max(longest, h.startMs - cursor);
      cursor = Math.max(cursor, h.endMs);
    }
    return Math.max(longest, toMs - cursor);
  }
}
