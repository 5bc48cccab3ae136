// A caller on the line as the session's audio input: the given samples in 20 ms frames, in real
// time, over and over with a pause between (speech from caller_speech.ts, or noise from
// whiteNoise below). Lets STT and the VAD run in a session with no room.
import { voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream } from 'node:stream/web';

export class LoopedAudioInput extends voice.AudioInput {
  #timer: NodeJS.Timeout | undefined;

  constructor(samples: Int16Array, sampleRate: number, pauseMs = 0) {
    super();
    const frame = sampleRate / 50;
    // The clip, then the pause as silence, rounded up to whole frames.
    const loop = new Int16Array(Math.ceil((samples.length + (pauseMs * sampleRate) / 1000) / frame) * frame);
    loop.set(samples);
    let at = 0;
    const stream = new ReadableStream<AudioFrame>({
      start: (controller) => {
        this.#timer = setInterval(() => {
          controller.enqueue(new AudioFrame(loop.slice(at, at + frame), sampleRate, 1, frame));
          at = (at + frame) % loop.length;
        }, 20);
      },
      cancel: () => clearInterval(this.#timer),
    });
    this.multiStream.addInputStream(stream);
  }

  override async close(): Promise<void> {
    clearInterval(this.#timer);
    await super.close();
  }
}

/** Uniform white noise at `level` RMS (fraction of full scale): loud, and no voice in it. */
export function whiteNoise(seconds: number, sampleRate: number, level: number): Int16Array {
  const amplitude = level * Math.sqrt(3) * 32767;
  return Int16Array.from({ length: seconds * sampleRate }, () => Math.round((Math.random() * 2 - 1) * amplitude));
}
