// A caller's speech, for the density bench and for call tests that need the VAD to hear a voice:
// short sentences spoken by eSpeak NG (the WASM build from npm, so a fresh checkout needs nothing
// from the system), as 16 kHz mono PCM16 with the silence eSpeak puts around them trimmed, so each
// clip ends where the speech ends. Silero VAD really detects these as speech (a pure tone it does
// not), which is what the turn pipeline needs.
import ESpeakNg from 'espeak-ng';

export const CALLER_SAMPLE_RATE = 16_000;

/**
 * What the caller says, one sentence per turn. The framework's audio end-of-turn model is unsure
 * about synthetic speech (probabilities near its 0.36 threshold for English); these sentences, in
 * this voice, scored 0.52–0.72 after 550 ms of silence, so most turns end as a human's would. A
 * turn the model still holds waits for the endpointing maxDelay; the report tells those apart.
 */
export const CALLER_SENTENCES = [
  'I need to book an appointment for Tuesday.',
  'Can you put me down for nine thirty please.',
  'What time do you open on Saturday?',
  'I would like to speak to someone about my bill.',
  'That is all I needed today. Thank you.',
];
/** eSpeak NG voice and words per minute. */
const VOICE = ['-v', 'en+f3', '-s', '150'];

/** Below this (of full scale) a 10 ms window counts as silence when trimming. */
const SILENCE_LEVEL = 0.01;

export async function speakSentence(text: string): Promise<Int16Array> {
  const espeak = await ESpeakNg({ arguments: ['-w', 'out.wav', ...VOICE, text] });
  const wav = espeak.FS.readFile('out.wav') as Uint8Array;
  const { samples, sampleRate } = parseWav(wav);
  return trimSilence(resample(samples, sampleRate, CALLER_SAMPLE_RATE), CALLER_SAMPLE_RATE);
}

export async function callerUtterances(sentences: readonly string[] = CALLER_SENTENCES): Promise<Int16Array[]> {
  const out: Int16Array[] = [];
  for (const sentence of sentences) out.push(await speakSentence(sentence));
  return out;
}

/** eSpeak writes a canonical 44-byte PCM16 mono header; anything else is a bug worth failing on. */
function parseWav(wav: Uint8Array): { samples: Int16Array; sampleRate: number } {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE' || tag(36) !== 'data') throw new Error('eSpeak wrote no PCM WAV');
  if (view.getUint16(22, true) !== 1 || view.getUint16(34, true) !== 16)
    throw new Error('eSpeak WAV is not mono PCM16');
  const sampleRate = view.getUint32(24, true);
  const count = Math.floor((wav.byteLength - 44) / 2);
  const samples = new Int16Array(count);
  for (let i = 0; i < count; i++) samples[i] = view.getInt16(44 + i * 2, true);
  return { samples, sampleRate };
}

/** Linear interpolation: eSpeak's 22.05 kHz down to 16 kHz; its speech has little energy above 8 kHz. */
function resample(input: Int16Array, from: number, to: number): Int16Array {
  const out = new Int16Array(Math.floor((input.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const at = (i * from) / to;
    const left = Math.floor(at);
    const right = Math.min(input.length - 1, left + 1);
    out[i] = Math.round(input[left]! + (input[right]! - input[left]!) * (at - left));
  }
  return out;
}

function trimSilence(samples: Int16Array, sampleRate: number): Int16Array {
  const window = sampleRate / 100;
  const loud = (start: number) => rms(samples.subarray(start, start + window)) > SILENCE_LEVEL;
  let first = 0;
  while (first < samples.length && !loud(first)) first += window;
  let last = Math.floor(samples.length / window) * window;
  while (last > first && !loud(last - window)) last -= window;
  return samples.slice(first, last);
}

/** Root mean square, as a fraction of full scale. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += (s / 32768) ** 2;
  return Math.sqrt(sum / samples.length);
}
