// The caller, as a session's audio input with no room: after a lead-in, each sentence in turn
// followed by `gapMs` of silence for the reply, looping, in 20 ms frames on a real-time schedule.
// Frames are due by the schedule, not by the timer: a late timer (a busy process) sends the frames
// it owes at once, and the end of each sentence is reported at its scheduled time, which is when
// a caller on a phone line would have stopped speaking.
import { voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream } from 'node:stream/web';

export interface CallerScript {
  sampleRate: number;
  utterances: Int16Array[];
  leadInMs: number;
  gapMs: number;
  /** Called when sentence `turn` (counting from 0, across loops) has ended, with its scheduled end. */
  onUtteranceEnd(turn: number, endedAt: number): void;
}

const FRAME_MS = 20;

export class CallerAudioInput extends voice.AudioInput {
  #timer: NodeJS.Timeout | undefined;

  constructor(script: CallerScript) {
    super();
    const samplesPerFrame = (script.sampleRate * FRAME_MS) / 1000;
    const timeline = new CallerTimeline(script, samplesPerFrame);
    const stream = new ReadableStream<AudioFrame>({
      start: (controller) => {
        const startedAt = Date.now();
        let sent = 0;
        this.#timer = setInterval(() => {
          const due = Math.floor((Date.now() - startedAt) / FRAME_MS);
          for (; sent < due; sent++) {
            controller.enqueue(new AudioFrame(timeline.frame(), script.sampleRate, 1, samplesPerFrame));
            const ended = timeline.endedTurn();
            if (ended) script.onUtteranceEnd(ended.turn, startedAt + sent * FRAME_MS + ended.atMsInFrame);
          }
        }, FRAME_MS);
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

/** Which samples come next: lead-in silence, then sentence, gap, sentence, gap, ... */
class CallerTimeline {
  readonly #script: CallerScript;
  readonly #frame: number;
  #silenceLeft: number;
  #turn = 0;
  #offset = -1; // -1: in silence
  #justEnded: { turn: number; atMsInFrame: number } | null = null;

  constructor(script: CallerScript, samplesPerFrame: number) {
    this.#script = script;
    this.#frame = samplesPerFrame;
    this.#silenceLeft = Math.round((script.leadInMs * script.sampleRate) / 1000);
  }

  frame(): Int16Array {
    const out = new Int16Array(this.#frame);
    let filled = 0;
    while (filled < this.#frame) {
      if (this.#offset < 0) {
        const take = Math.min(this.#silenceLeft, this.#frame - filled);
        filled += take;
        this.#silenceLeft -= take;
        if (this.#silenceLeft === 0) this.#offset = 0;
        continue;
      }
      const sentence = this.#script.utterances[this.#turn % this.#script.utterances.length]!;
      const take = Math.min(sentence.length - this.#offset, this.#frame - filled);
      out.set(sentence.subarray(this.#offset, this.#offset + take), filled);
      filled += take;
      this.#offset += take;
      if (this.#offset >= sentence.length) {
        this.#justEnded = { turn: this.#turn, atMsInFrame: (filled * 1000) / this.#script.sampleRate };
        this.#turn += 1;
        this.#offset = -1;
        this.#silenceLeft = Math.round((this.#script.gapMs * this.#script.sampleRate) / 1000);
      }
    }
    return out;
  }

  /** The sentence that ended in the last frame, and where in it, once. */
  endedTurn(): { turn: number; atMsInFrame: number } | null {
    const ended = this.#justEnded;
    this.#justEnded = null;
    return ended;
  }
}
