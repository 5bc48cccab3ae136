// The providers and LiveKit, faked with realistic timing, in a process of their own so their CPU
// is not counted as the worker's: Deepgram's final 150 ms after the end of speech ('speech' mode),
// OpenAI's first token 300 ms after the request, ElevenLabs' first audio 120 ms after each flush,
// and the LiveKit API fake (the hang-up's room deletion). Prints one JSON line with where they
// listen (all on 127.0.0.1, ephemeral ports), then runs until stdin closes.
//   node bench/density/fakes_process.ts
import { startFakeDeepgram } from '../../test/fakes/deepgram.ts';
import { startElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { startFakeOpenAI } from '../../test/fakes/openai.ts';

export const PROVIDER_TIMING_MS = { sttFinal: 150, llmFirstToken: 300, ttsFirstByte: 120 } as const;
/** What the agent answers every turn: about 1.6 s of speech at the fake's 60 ms per character. */
export const AGENT_REPLY = 'Sure, I can help with that.';
/** What Deepgram hears every turn. */
export const CALLER_TRANSCRIPT = 'I would like to book an appointment.';

export interface FakesAddress {
  deepgram: { baseUrl: string; apiKey: string };
  openai: { baseUrl: string; apiKey: string };
  eleven: { baseUrl: string; apiKey: string };
  livekit: { url: string; apiKey: string; apiSecret: string };
}

async function main(): Promise<void> {
  const [deepgram, openai, eleven, livekit] = await Promise.all([
    startFakeDeepgram(),
    startFakeOpenAI(() => ({ text: AGENT_REPLY, firstChunkDelayMs: PROVIDER_TIMING_MS.llmFirstToken })),
    startElevenLabsFake({ latencyMs: PROVIDER_TIMING_MS.ttsFirstByte }),
    FakeLiveKit.start(),
  ]);
  deepgram.streamMode = 'speech';
  deepgram.speechFinalDelayMs = PROVIDER_TIMING_MS.sttFinal;
  deepgram.transcript = CALLER_TRANSCRIPT;
  const address: FakesAddress = {
    deepgram: { baseUrl: deepgram.baseUrl, apiKey: deepgram.apiKey },
    openai: { baseUrl: openai.baseUrl, apiKey: openai.apiKey },
    eleven: { baseUrl: eleven.apiBaseUrl, apiKey: eleven.apiKey },
    livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
  };
  process.stdout.write(`${JSON.stringify(address)}\n`);
  // The fakes keep logs of every request; a long bench would grow them without bound.
  setInterval(() => {
    openai.requests.length = 0;
    eleven.requests.length = 0;
    eleven.wsConnections.length = 0;
    deepgram.handshakes.length = 0;
  }, 10_000).unref();
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

if (import.meta.main) void main();
