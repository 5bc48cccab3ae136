// The call's speech pipeline: the providers it opened, the AgentSession over them, and how that
// session reaches the room. Every session of a call is built by createSession and started by
// startSession: the conversation (STT → LLM → TTS), the announcement for an unknown number (TTS
// only), and the short-lived session that says a farewell after the conversation's has closed.
import { setTimeout as sleep } from 'node:timers/promises';
import { type llm, type stt, type tts, type VAD, voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { errorMessage } from '../../shared/errors.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import { CallVoice, type VoiceFailedHandler } from './call_voice.ts';
import type { CallProviders, TurnDetection } from './providers.ts';
import type { AgentCallConfig } from './resolve_call_config.ts';

type ConnOptions = voice.AgentSessionOptions['connOptions'];

/** Where a session's audio comes from and goes to. */
export interface SessionIo {
  /** The LiveKit room; omitted for text conversations. */
  room?: Room | undefined;
  /** The SIP caller's identity: the session listens to this participant only. */
  participantIdentity?: string | undefined;
  /** Replaces the room's audio input (tests run STT without a room). */
  audioInput?: voice.AudioInput | undefined;
  /** Replaces the room's audio output (tests and bench run TTS without a room). */
  audioOutput?: voice.AudioOutput | undefined;
}

/** The providers a session runs on; a missing one is left out of the pipeline. */
export interface SessionSpec {
  tts: tts.TTS | null;
  stt?: stt.STT | null;
  llm?: llm.LLM;
  vad?: VAD | null;
  /** Without a turn detector or STT, turns are manual (text conversations, announcements). */
  turnDetection?: TurnDetection | null;
  connOptions?: ConnOptions | undefined;
}

/**
 * One quick retry for TTS, not the framework's four attempts over about 4 s: a voice ElevenLabs
 * refuses then fails fast enough to be told from a stall (tts_failover.ts), and the fallback voice
 * takes over before the caller notices.
 */
const TTS_CONN_OPTIONS = { maxRetry: 1, retryIntervalMs: 100, timeoutMs: 10_000 };

export function createSession(spec: SessionSpec): voice.AgentSession {
  return new voice.AgentSession({
    ...(spec.llm ? { llm: spec.llm } : {}),
    ...(spec.stt ? { stt: spec.stt } : {}),
    ...(spec.tts ? { tts: spec.tts } : {}),
    vad: spec.vad ?? null,
    turnHandling: { turnDetection: spec.turnDetection ?? (spec.stt ? undefined : 'manual') },
    // Silence is ours to handle (call_limits.ts), with a reminder and a goodbye.
    userAwayTimeout: null,
    connOptions: { ttsConnOptions: TTS_CONN_OPTIONS, ...spec.connOptions },
  });
}

export async function startSession(session: voice.AgentSession, agent: voice.Agent, io: SessionIo): Promise<void> {
  if (io.audioOutput) session.output.audio = io.audioOutput;
  if (io.audioInput) session.input.audio = io.audioInput;
  const listenTo = io.participantIdentity ? { participantIdentity: io.participantIdentity } : {};
  await session.start({
    agent,
    ...(io.room ? { room: io.room, inputOptions: { closeOnDisconnect: true, ...listenTo } } : {}),
  });
}

export interface PipelineOptions {
  providers: CallProviders;
  io: SessionIo;
  /** Session connect options (retries, timeouts) for the conversation; tests shorten them. */
  connOptions?: ConnOptions | undefined;
  /** How long a farewell may play before the call is cut, in ms. */
  farewellTimeoutMs: number;
  log: Logger;
}

type Closeable = { close(): Promise<void> };

export interface CallPipelineParts<Voice extends CallVoice | null> {
  session: voice.AgentSession;
  /** The switchable TTS voice; null for an announcement. */
  voice: Voice;
  /** The voice an announcement speaks in (and a farewell after close, without a CallVoice). */
  voiceId: string;
  hasStt: boolean;
  /** Provider connections this call opened; closed when it ends (a worker process serves many calls). */
  owned: Array<Closeable | null>;
}

export class CallPipeline<Voice extends CallVoice | null = CallVoice | null> {
  readonly session: voice.AgentSession;
  readonly voice: Voice;
  readonly hasStt: boolean;
  readonly #voiceId: string;
  readonly #owned: Closeable[];
  readonly #options: PipelineOptions;

  constructor(parts: CallPipelineParts<Voice>, options: PipelineOptions) {
    this.session = parts.session;
    this.voice = parts.voice;
    this.hasStt = parts.hasStt;
    this.#voiceId = parts.voiceId;
    this.#owned = parts.owned.filter((provider) => provider !== null);
    this.#options = options;
  }

  start(agent: voice.Agent): Promise<void> {
    return startSession(this.session, agent, this.#options.io);
  }

  /** Says `text` with a fresh TTS-only session in the same room, so the caller never hangs in silence. */
  async sayAfterClose(text: string): Promise<boolean> {
    const { providers, io, farewellTimeoutMs, log } = this.#options;
    const tts = providers.tts(this.voice?.activeVoiceId ?? this.#voiceId);
    const last = createSession({ tts });
    try {
      await startSession(last, new voice.Agent({ instructions: '' }), { room: io.room, audioOutput: io.audioOutput });
      const said = last.say(text, { allowInterruptions: false }).waitForPlayout();
      await Promise.race([said, sleep(farewellTimeoutMs, undefined, { ref: false })]);
      return true;
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'could not say the farewell after the session closed');
      return false;
    } finally {
      await last.close().catch(() => {});
      await tts?.close().catch(() => {});
    }
  }

  /** Closes the provider connections this call opened. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#owned.map((provider) => provider.close()));
  }
}

/** The conversation: STT → LLM → TTS in the configured voice, with VAD and the turn detector. */
export function conversationPipeline(
  callConfig: AgentCallConfig,
  options: PipelineOptions,
  onVoiceFailed: VoiceFailedHandler,
): CallPipeline<CallVoice> {
  const { providers } = options;
  const tts = providers.tts(callConfig.voiceId);
  const stt = providers.stt(callConfig.config);
  const { voiceId, defaultVoiceId } = callConfig;
  const callVoice = new CallVoice({ tts, voiceId, defaultVoiceId, onVoiceFailed });
  const session = createSession({
    llm: providers.llm(callConfig.config.llm_model),
    stt,
    tts,
    vad: providers.vad(),
    turnDetection: providers.turnDetection(),
    connOptions: options.connOptions,
  });
  const parts = { session, voice: callVoice, voiceId: defaultVoiceId, hasStt: stt !== null, owned: [tts, stt] };
  return new CallPipeline(parts, options);
}

/** One sentence and a hang-up (an unknown number): TTS only, in the catalog default voice. */
export function announcementPipeline(voiceId: string, options: PipelineOptions): CallPipeline<null> {
  const tts = options.providers.tts(voiceId);
  return new CallPipeline(
    { session: createSession({ tts }), voice: null, voiceId, hasStt: false, owned: [tts] },
    options,
  );
}
