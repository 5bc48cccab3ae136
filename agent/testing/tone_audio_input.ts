// A caller that hums: a 440 Hz tone at 16 kHz, in real time, as the session's audio input. Lets
// STT run in a session with no room. A second of it holds exactly 440 cycles, so it loops without
// a seam.
import { LoopedAudioInput } from './looped_audio_input.ts';

export class ToneAudioInput extends LoopedAudioInput {
  constructor(sampleRate = 16000) {
    const second = Int16Array.from({ length: sampleRate }, (_, n) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * n) / sampleRate)),
    );
    super(second, sampleRate);
  }
}
