// One phone call, from the answered SIP participant to the completed calls row: resolve the
// config, build the pipeline, greet, keep the config live (hot reload), watch for silence and
// the duration limit, never go silent on provider failures, and record how the call went.
import { voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import type { CallLogger as Logger } from './call_logger.ts';
import type { AgentConfig } from '../../shared/agent_config.ts';
import type { CallEndReason, CallStore, ConfigSource } from '../config/types.ts';
import { CallAgent } from './call_agent.ts';
import type { CallControls } from './call_controls.ts';
import { CallMetrics } from './call_metrics.ts';
import { CallVoice } from './call_voice.ts';
import { ConfigReloader } from './config_reload.ts';
import { MAX_DURATION_GOODBYE, PROVIDER_APOLOGY, SILENCE_GOODBYE, SILENCE_REMINDER, TRANSFER_FAILED, UNKNOWN_NUMBER_MESSAGE } from './fallback.ts';
import { buildInstructions } from './instructions.ts';
import type { CallProviders } from './providers.ts';
import { type CallConfig, resolveCallConfig } from './resolve_call_config.ts';
import { SilenceMonitor } from './silence_monitor.ts';
import { errorMessage } from '../../shared/errors.ts';

/** What LiveKit tells us about the call (SIP participant attributes). */
export interface CallInfo {
  roomName: string;
  /** sip.callID (SCL_…) */
  callId: string | null;
  /** sip.trunkPhoneNumber: the number the caller dialed. */
  dialedNumber: string | null;
  /** sip.phoneNumber: the caller. */
  callerNumber: string | null;
  trunkId: string | null;
  dispatchRuleId: string | null;
}

export interface CallDependencies {
  configSource: ConfigSource;
  callStore: CallStore;
  providers: CallProviders;
  controls: CallControls;
  logger: Logger;
}

export interface RunCallOptions {
  /** The LiveKit room; omitted for text conversations (tests, `npm run call`). */
  room?: Room;
  /** The SIP caller's identity: the session listens to this participant only. */
  participantIdentity?: string;
  /** An audio sink to use instead of the room's (tests and bench run TTS without a room). */
  audioOutput?: voice.AudioOutput;
  /** An audio source to use instead of the room's (tests run STT without a room). */
  audioInput?: voice.AudioInput;
  /** Session connect options; tests shorten retries. */
  connOptions?: voice.AgentSessionOptions['connOptions'];
  /** Marks when the greeting's first text reaches TTS (bench). */
  onTtsText?: (atMs: number) => void;
  /** How long a goodbye may take to play before the call is cut. Default 10 s. */
  farewellTimeoutMs?: number;
  /**
   * A ceiling on the call's length, in ms, under the config's max_call_duration_ms (which the
   * database keeps at 60 s or more). Default: none. Tests use it to reach the limit quickly.
   */
  maxCallDurationMs?: number;
}

export interface CallOutcome {
  reason: CallEndReason;
  callRowId: string | null;
}

export interface RunningCall {
  session: voice.AgentSession;
  agent: voice.Agent;
  callConfig: CallConfig;
  voice: CallVoice | null;
  /** Resolves when the call has ended and its row is complete. */
  finished: Promise<CallOutcome>;
  /** Resolves with the calls row id once the row is written at call start (null if the write failed). */
  recorded: Promise<string | null>;
  /** Ends the call: optional farewell, then the session closes and the room is deleted. */
  end(reason: CallEndReason, farewell?: string): Promise<void>;
  /** Settles once every config change received so far has been applied. */
  configApplied(): Promise<void>;
  /** The config in effect now (after hot reloads); null for an unknown number. */
  currentConfig(): AgentConfig | null;
}

const DEFAULT_FAREWELL_TIMEOUT_MS = 10_000;

export async function runCall(info: CallInfo, deps: CallDependencies, options: RunCallOptions = {}): Promise<RunningCall> {
  const log = deps.logger.child({ room: info.roomName, callId: info.callId });
  const startedAt = new Date();
  const callConfig = await resolveCallConfig(deps.configSource, info.dialedNumber, (error) =>
    log.warn({ err: errorMessage(error) }, 'config database unreachable and no copy known: answering with the generic receptionist'),
  );
  const callRow = deps.callStore
    .startCall({
      room_name: info.roomName,
      livekit_call_id: info.callId,
      trunk_id: info.trunkId,
      dispatch_rule_id: info.dispatchRuleId,
      caller_number: info.callerNumber,
      dialed_number: info.dialedNumber,
      owner_id: callConfig.kind === 'agent' ? callConfig.ownerId : null,
      agent_config_id: callConfig.kind === 'agent' ? callConfig.agentConfigId : null,
      config_version: callConfig.kind === 'agent' && callConfig.agentConfigId ? callConfig.config.version : null,
      config_source: callConfig.origin,
      started_at: startedAt.toISOString(),
    })
    .catch((error: unknown) => {
      log.error({ err: errorMessage(error) }, 'could not record the call start');
      return null;
    });

  const metrics = new CallMetrics();
  const details: Record<string, unknown> = { config_changes: [] as unknown[] };
  let endReason: CallEndReason | undefined;
  let answeredAt: Date | null = null;
  let turns = 0;
  let lastUtterance = '';
  let silence: SilenceMonitor | undefined;
  let maxDurationTimer: NodeJS.Timeout | undefined;
  let unwatch: (() => void) | undefined;
  let session: voice.AgentSession;
  let agent: voice.Agent;
  let callVoice: CallVoice | null = null;
  /** Provider connections this call opened; closed when it ends (a worker process serves many calls). */
  const owned: Array<{ close(): Promise<void> }> = [];

  const farewellTimeoutMs = options.farewellTimeoutMs ?? DEFAULT_FAREWELL_TIMEOUT_MS;

  /** A farewell the closing session could not say; said by a short-lived session instead. */
  let unsaidFarewell: string | undefined;

  async function end(reason: CallEndReason, farewell?: string): Promise<void> {
    if (endReason) return;
    endReason = reason;
    log.info({ reason }, 'ending the call');
    stopWatchers();
    if (farewell) {
      try {
        const handle = session.say(farewell, { allowInterruptions: false, addToChatCtx: true });
        await Promise.race([handle.waitForPlayout(), sleep(farewellTimeoutMs)]);
      } catch (error) {
        // The session is already closing (an STT failure closes it at once).
        unsaidFarewell = farewell;
        log.warn({ err: errorMessage(error) }, 'the session could not say the farewell');
      }
    }
    session.shutdown({ drain: true, reason });
  }

  /** Says `text` with a fresh TTS-only session in the same room, so the caller never hangs in silence. */
  async function sayAfterClose(text: string): Promise<void> {
    const voiceId = callVoice?.activeVoiceId ?? callConfig.defaultVoiceId;
    const tts = deps.providers.tts(voiceId);
    const last = new voice.AgentSession({ ...(tts ? { tts } : {}), vad: null, turnHandling: { turnDetection: 'manual' }, userAwayTimeout: null });
    try {
      if (options.audioOutput) last.output.audio = options.audioOutput;
      await last.start({ agent: new voice.Agent({ instructions: '' }), ...(options.room ? { room: options.room } : {}) });
      await Promise.race([last.say(text, { allowInterruptions: false }).waitForPlayout(), sleep(farewellTimeoutMs)]);
      details.farewell_after_close = true;
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'could not say the farewell after the session closed');
    } finally {
      await last.close().catch(() => {});
      await tts?.close().catch(() => {});
    }
  }

  function stopWatchers(): void {
    silence?.stop();
    clearTimeout(maxDurationTimer);
    unwatch?.();
    unwatch = undefined;
  }

  const actions = {
    endAfterReply(handle: voice.SpeechHandle) {
      handle.addDoneCallback(() => void end('agent_hangup'));
    },
    transferAfterReply(handle: voice.SpeechHandle) {
      handle.addDoneCallback(() => void transfer());
    },
    transferNumber: () => (callConfig.kind === 'agent' ? reloader?.current.transfer_number ?? null : null),
  };

  async function transfer(): Promise<void> {
    const number = actions.transferNumber();
    if (!number || endReason) return;
    try {
      await deps.controls.transfer(number);
      log.info({ 'pii.transfer_to': number }, 'call transferred');
      await end('transferred');
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'transfer failed; telling the caller');
      details.transfer_error = errorMessage(error);
      session.say(TRANSFER_FAILED);
    }
  }

  let reloader: ConfigReloader | undefined;
  if (callConfig.kind === 'unknown') {
    log.info({ why: callConfig.reason }, 'unknown number: saying so and hanging up');
    const tts = deps.providers.tts(callConfig.defaultVoiceId);
    if (tts) owned.push(tts);
    agent = new voice.Agent({ instructions: '' });
    session = new voice.AgentSession({ ...(tts ? { tts } : {}), vad: null, turnHandling: { turnDetection: 'manual' }, userAwayTimeout: null });
  } else {
    const config = callConfig.config;
    const caller = { callerNumber: info.callerNumber, dialedNumber: info.dialedNumber };
    const tts = deps.providers.tts(callConfig.voiceId);
    const stt = deps.providers.stt(config);
    for (const provider of [tts, stt]) if (provider) owned.push(provider);
    callVoice = new CallVoice({
      tts,
      voiceId: callConfig.voiceId,
      defaultVoiceId: callConfig.defaultVoiceId,
      onVoiceFailed: (voiceId) => {
        details.voice_fallback = { from: voiceId, to: callVoice?.activeVoiceId };
        log.warn({ voiceId, fallback: callVoice?.activeVoiceId }, 'ElevenLabs could not speak in this voice: switched to the default voice');
        const configId = callConfig.kind === 'agent' ? callConfig.agentConfigId : null;
        if (configId) {
          deps.callStore.reportVoiceNotFound(configId, voiceId, 'worker').catch((error: unknown) =>
            log.error({ err: errorMessage(error) }, 'could not report voice_not_found'),
          );
        }
      },
    });
    agent = new CallAgent({
      instructions: buildInstructions(config, caller),
      actions,
      withTransfer: config.transfer_number !== null,
      onUtterance: (text) => {
        lastUtterance = text;
      },
      ...(options.onTtsText ? { onTtsText: options.onTtsText } : {}),
    });
    const vad = deps.providers.vad();
    const turnDetection = deps.providers.turnDetection();
    session = new voice.AgentSession({
      llm: deps.providers.llm(config.llm_model),
      ...(stt ? { stt } : {}),
      ...(tts ? { tts } : {}),
      vad,
      turnHandling: { turnDetection: turnDetection ?? (stt ? undefined : 'manual') },
      userAwayTimeout: null,
      ...(options.connOptions ? { connOptions: options.connOptions } : {}),
    });
    reloader = new ConfigReloader({
      config,
      caller,
      agent: agent as CallAgent,
      actions,
      voice: callVoice,
      providers: deps.providers,
      hasStt: stt !== null,
      log,
      onApplied: (change) => (details.config_changes as unknown[]).push(change),
      onLimits: (next) => {
        silence?.setTimeoutMs(next.silence_timeout_ms);
        scheduleMaxDuration(next.max_call_duration_ms);
      },
    });
  }

  function scheduleMaxDuration(configMaxMs: number): void {
    clearTimeout(maxDurationTimer);
    const maxMs = Math.min(configMaxMs, options.maxCallDurationMs ?? Number.POSITIVE_INFINITY);
    const left = Math.max(0, startedAt.getTime() + maxMs - Date.now());
    maxDurationTimer = setTimeout(() => void end('max_duration', MAX_DURATION_GOODBYE), left);
    maxDurationTimer.unref?.();
  }

  session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => metrics.add(ev.metrics));
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type === 'message' && ev.item.role === 'user') {
      turns += 1;
      silence?.callerSpoke();
    }
  });
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => silence?.agentState(ev.newState));
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => silence?.callerState(ev.newState));
  session.on(voice.AgentSessionEventTypes.Error, (ev) => onProviderError(ev.error));

  function onProviderError(error: { type?: string; recoverable?: boolean; error?: unknown }): void {
    if (error.recoverable || endReason) return;
    log.warn({ type: error.type, err: errorMessage(error.error) }, 'provider failed after retries');
    if (error.type === 'tts_error') {
      if (callVoice?.fail()) {
        // The utterance that failed is said again in the default voice.
        if (lastUtterance) session.say(lastUtterance);
        return;
      }
      details.provider_error = { type: error.type, message: errorMessage(error.error) };
      void end('provider_error');
      return;
    }
    if (error.type === 'llm_error' || error.type === 'stt_error') {
      details.provider_error = { type: error.type, message: errorMessage(error.error) };
      void end('provider_error', PROVIDER_APOLOGY);
    }
  }

  const finished = new Promise<CallOutcome>((resolve) => {
    session.on(voice.AgentSessionEventTypes.Close, (ev) => {
      stopWatchers();
      endReason ??= closeReason(ev.reason, ev.error);
      if (ev.error && !details.provider_error) details.provider_error = { message: errorMessage(ev.error) };
      void (async () => {
        // An STT failure closes the session before the apology can be queued: say it now.
        if (endReason === 'provider_error' && (unsaidFarewell || ev.reason === 'error')) await sayAfterClose(unsaidFarewell ?? PROVIDER_APOLOGY);
        await deps.controls.hangUp();
        await Promise.allSettled(owned.map((provider) => provider.close()));
        const id = await callRow;
        if (id) {
          const figures = metrics.figures();
          const { turn_latencies_ms, ...row } = figures;
          await deps.callStore
            .completeCall(id, {
              answered_at: answeredAt?.toISOString() ?? null,
              ended_at: new Date().toISOString(),
              end_reason: endReason!,
              turns,
              ...row,
              details: { ...details, turn_latencies_ms },
            })
            .catch((error: unknown) => log.error({ err: errorMessage(error) }, 'could not record the call end'));
        }
        log.info({ reason: endReason, turns }, 'call ended');
        resolve({ reason: endReason!, callRowId: id });
      })();
    });
  });

  if (options.audioOutput) session.output.audio = options.audioOutput;
  if (options.audioInput) session.input.audio = options.audioInput;
  await session.start({
    agent,
    ...(options.room
      ? { room: options.room, inputOptions: { closeOnDisconnect: true, ...(options.participantIdentity ? { participantIdentity: options.participantIdentity } : {}) } }
      : {}),
  });
  answeredAt = new Date();

  if (callConfig.kind === 'unknown') {
    void end('unknown_number', UNKNOWN_NUMBER_MESSAGE);
  } else {
    const config = callConfig.config;
    silence = new SilenceMonitor({
      timeoutMs: config.silence_timeout_ms,
      onReminder: () => session.say(SILENCE_REMINDER),
      onGiveUp: () => void end('silence_timeout', SILENCE_GOODBYE),
    });
    silence.agentState(session.agentState);
    scheduleMaxDuration(config.max_call_duration_ms);
    if (info.dialedNumber && callConfig.agentConfigId) {
      unwatch = deps.configSource.watch(info.dialedNumber, (next) => reloader?.apply(next));
    }
    if (config.greeting.trim()) session.say(config.greeting);
  }

  return { session, agent, callConfig, voice: callVoice, finished, recorded: callRow, end, configApplied: () => reloader?.idle ?? Promise.resolve(), currentConfig: () => reloader?.current ?? null };
}

function closeReason(reason: string, error: unknown): CallEndReason {
  if (reason === 'participant_disconnected') return 'caller_hangup';
  if (reason === 'error' || error) return 'provider_error';
  if (reason === 'job_shutdown') return 'worker_shutdown';
  return 'agent_hangup';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

export type { AgentConfig };
