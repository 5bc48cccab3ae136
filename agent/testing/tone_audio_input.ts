// A caller that hums: 20 ms frames of a 440 Hz tone at 16 kHz, in real time, as the session's
// audio input. Lets STT run in a session with no room.
import { voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream } from 'node:stream/web';

export class ToneAudioInput extends voice.AudioInput {
  #timer: NodeJS.Timeout | undefined;

  constructor(sampleRate = 16000) {
    super();
    const samplesPerFrame = sampleRate / 50;
    let n = 0;
    const stream = new ReadableStream<AudioFrame>({
      start: (controller) => {
        this.#timer = setInterval(() => {
          const data = new Int16Array(samplesPerFrame);
          for (let i = 0; i < samplesPerFrame; i++, n++)
            data[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * n) / sampleRate));
          controller.enqueue(new AudioFrame(data, sampleRate, 1, samplesPerFrame));
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
