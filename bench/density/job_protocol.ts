// What the bench's main process and its job processes agree on: the environment the jobs inherit
// at fork time, the metadata of each (fake) job, and the events a job appends to its results file,
// one JSON object a line. Jobs only record wall-clock times; main pairs them into turns.
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Set by main before the pool forks anything; job processes inherit process.env at fork time. */
export const DENSITY_ENV = {
  speechFile: 'DENSITY_SPEECH_FILE',
  resultsDir: 'DENSITY_RESULTS_DIR',
  /** The bare pipeline's fakes: { deepgram, openai, eleven } base URLs and keys, as JSON. */
  bareProviders: 'DENSITY_BARE_PROVIDERS',
} as const;

export interface DensityJobMeta {
  pipeline: 'switchboard' | 'bare';
  /** Which call of the step (0-based): names its results and spreads its turns in time. */
  call: number;
  /** How many calls the step runs, to spread the callers' turns evenly over a cycle. */
  calls: number;
  room: string;
  dialed: string;
  caller: string;
  /** Silence after each of the caller's sentences, for the agent's reply, in ms. */
  gapMs: number;
  /** Silence before the first sentence (the greeting plays), in ms. */
  leadInMs: number;
}

export type DensityEvent =
  /** The session is started and listening. */
  | { t: 'live'; call: number; pid: number; at: number }
  /** The caller's sentence `turn` ended (the last sample was due) at `at`. */
  | { t: 'eos'; call: number; turn: number; at: number }
  /** The first synthesized frame of an agent reply reached the audio output. */
  | { t: 'reply'; call: number; at: number }
  /** The framework's own metrics of a turn: end-of-utterance delay, LLM ttft, TTS ttfb (ms). */
  | { t: 'metric'; call: number; at: number; kind: 'eou' | 'llm' | 'tts'; ms: number; extraMs?: number };

export interface CallerSpeechFile {
  sampleRate: number;
  /** PCM16LE mono, base64, one per sentence. */
  utterances: string[];
}

export function readEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: job processes get it from the bench's main process`);
  return value;
}

export function loadCallerSpeech(): { sampleRate: number; utterances: Int16Array[] } {
  const file = JSON.parse(readFileSync(readEnv(DENSITY_ENV.speechFile), 'utf8')) as CallerSpeechFile;
  const utterances = file.utterances.map((b64) => {
    const bytes = Buffer.from(b64, 'base64');
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  });
  return { sampleRate: file.sampleRate, utterances };
}

/**
 * Appends events to this process's results file; synchronous, a few lines per turn. Once the bench
 * has removed its directory (it ended while this call was still winding down), events are dropped.
 */
export function eventWriter(): (event: DensityEvent) => void {
  const file = path.join(readEnv(DENSITY_ENV.resultsDir), `${process.pid}.jsonl`);
  return (event) => {
    try {
      appendFileSync(file, `${JSON.stringify(event)}\n`);
    } catch {
      // the results directory is gone: nobody reads these events any more
    }
  };
}
