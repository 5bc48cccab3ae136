// The bare pipeline of the density bench, as LiveKit's agent starter runs it: prewarm loads
// Silero, entry starts one AgentSession with Deepgram STT, the OpenAI LLM, ElevenLabs TTS, Silero
// VAD and the framework's turn detector (v1-mini, local), fixed instructions and a fixed greeting.
// No database, no config, no hot reload, no call record. The provider options are Switchboard's
// (agent/call/providers.ts: 8 kHz Deepgram, Flash at pcm_16000), so the two pipelines differ only
// in what Switchboard adds around the session, not in audio rates.
import { defineAgent, inference, type JobContext, type JobProcess, type VAD, voice } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as elevenlabs from '@livekit/agents-plugin-elevenlabs';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { deepgramPhoneOptions, TTS_ENCODING, TTS_MODEL } from '../../agent/call/providers.ts';
import { type CallerSpeech, callIo } from './call_io.ts';
import { DENSITY_ENV, type DensityJobMeta, loadCallerSpeech, readEnv } from './job_protocol.ts';

export interface BareProviders {
  deepgram: { baseUrl: string; apiKey: string };
  openai: { baseUrl: string; apiKey: string };
  eleven: { baseUrl: string; apiKey: string; voiceId: string };
}

export const BARE_INSTRUCTIONS = 'You are a friendly receptionist. Keep answers short.';
export const BARE_GREETING = 'Thanks for calling!';

async function barePrewarm(proc: JobProcess<Record<string, unknown>>): Promise<void> {
  proc.userData.vad = await silero.VAD.load();
  proc.userData.speech = loadCallerSpeech();
}

async function bareEntry(ctx: JobContext<Record<string, unknown>>): Promise<void> {
  const { vad, speech } = ctx.proc.userData as { vad: VAD; speech: CallerSpeech };
  const meta = JSON.parse(ctx.job.metadata) as DensityJobMeta;
  const providers = JSON.parse(readEnv(DENSITY_ENV.bareProviders)) as BareProviders;
  const session = new voice.AgentSession({
    stt: new deepgram.STT({
      ...deepgramPhoneOptions({ stt_language: 'en-US' }),
      apiKey: providers.deepgram.apiKey,
      baseUrl: providers.deepgram.baseUrl,
    }),
    llm: new openai.LLM({ model: 'gpt-4o-mini', apiKey: providers.openai.apiKey, baseURL: providers.openai.baseUrl }),
    tts: new elevenlabs.TTS({
      apiKey: providers.eleven.apiKey,
      baseURL: providers.eleven.baseUrl,
      voiceId: providers.eleven.voiceId,
      model: TTS_MODEL,
      encoding: TTS_ENCODING,
    }),
    vad,
    turnHandling: { turnDetection: new inference.TurnDetector({ version: 'v1-mini' }) },
  });
  const io = callIo(meta, speech);
  session.input.audio = io.audioInput;
  session.output.audio = io.audioOutput;
  await session.start({ agent: new voice.Agent({ instructions: BARE_INSTRUCTIONS }) });
  session.say(BARE_GREETING);
  io.live(session);
  ctx.addShutdownCallback(() => session.close());
}

export default defineAgent({ prewarm: barePrewarm, entry: bareEntry });
