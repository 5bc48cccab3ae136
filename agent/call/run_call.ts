// One phone call, from the answered SIP participant to the completed calls row. This file only
// wires the call's parts together, in the order a call needs them; each part is its own file:
//   resolve_call_config.ts   which agent answers (the config, a last known copy, the generic one)
//   call_pipeline.ts         the AgentSession and the providers it runs on
//   call_agent.ts            the agent; call_tools.ts its tools; call_actions.ts what they do
//   call_lifecycle.ts        how a call ends: end reasons, end(), hang-up, the row completed
//   provider_failures.ts     what happens when the LLM, TTS or STT fails for good
//   provider_deadlines.ts    how long each provider may keep the caller waiting
//   call_limits.ts           silence timeout and maximum call length
//   config_reload.ts         hot reload of the number's config
//   call_record.ts           what the calls row gets; call_record_writer.ts writes it
//   transcript_recorder.ts   the transcript, written in batches as the call goes
//   take_message.ts          the take_message tool (filed by call_actions.ts)
//   post_call_analysis.ts    summary and outcome after the hang-up
import { voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import type { AgentConfig } from '../../shared/agent_config.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { CallEndReason, CallStore, ConfigSource } from '../config/types.ts';
import { CallAgent } from './call_agent.ts';
import { callActions } from './call_actions.ts';
import type { CallControls } from './call_controls.ts';
import type { CallInfo } from './call_info.ts';
import { CallLifecycle, type CallOutcome, finishCall } from './call_lifecycle.ts';
import { CallLimits } from './call_limits.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import {
  announcementPipeline,
  type CallPipeline,
  conversationPipeline,
  type PipelineOptions,
} from './call_pipeline.ts';
import { CallRecord, callStartRow } from './call_record.ts';
import { type CallRecordOptions, CallRecordWriter } from './call_record_writer.ts';
import { DurableWrites } from '../store/durable_writes.ts';
import { type CallActions, callTools } from './call_tools.ts';
import type { CallVoice, VoiceFailedHandler } from './call_voice.ts';
import { ConfigReloader, type LiveConfig } from './config_reload.ts';
import { UNKNOWN_NUMBER_MESSAGE } from './fallback.ts';
import { buildInstructions, type CallerContext } from './instructions.ts';
import { type ProviderDeadlines, providerDeadlines } from './provider_deadlines.ts';
import { analyzeCall, type PostCallAnalysisOptions } from './post_call_analysis.ts';
import { onProviderStall, watchProviderFailures } from './provider_failures.ts';
import type { CallProviders } from './providers.ts';
import {
  type AgentCallConfig,
  type CallConfig,
  resolveCallConfig,
  type UnknownCallConfig,
} from './resolve_call_config.ts';
import { TranscriptRecorder, type TranscriptRecorderOptions } from './transcript_recorder.ts';
import type { CallAnalysisRow } from '../store/call_outcomes.ts';

export type { AgentConfig };
export type { CallInfo } from './call_info.ts';
export type { CallOutcome } from './call_lifecycle.ts';

export interface CallDependencies {
  configSource: ConfigSource;
  callStore: CallStore;
  providers: CallProviders;
  controls: CallControls;
  logger: Logger;
  /**
   * The queue the call's writes go through. The worker shares one per process, so writes the
   * database could not take yet outlive the call; default: one for this call.
   */
  callWrites?: DurableWrites;
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
  /** How long each provider may keep the caller waiting; defaults in provider_deadlines.ts. */
  deadlines?: Partial<ProviderDeadlines> | undefined;
  /** Heartbeat interval and how long the end of the call waits for its row. */
  callRecord?: CallRecordOptions;
  /** How often the transcript is written; defaults in transcript_recorder.ts. */
  transcript?: TranscriptRecorderOptions;
  /** The post-call analysis's deadline; default in post_call_analysis.ts. */
  analysis?: PostCallAnalysisOptions;
  /** How long take_message waits to hear the write queue took a message, in ms. */
  messageWaitMs?: number;
}

export interface RunningCall {
  session: voice.AgentSession;
  agent: voice.Agent;
  callConfig: CallConfig;
  voice: CallVoice | null;
  /** Resolves once the call has ended, in bounded time: its row is complete, or its end waits in the write queue. */
  finished: Promise<CallOutcome>;
  /** Resolves with the calls row id once the row is written at call start (null if the database refused it). */
  recorded: Promise<string | null>;
  /**
   * Resolves after the call has finished, once the post-call analysis is done (or failed, or
   * skipped) and its write queued behind the call's end and transcript.
   */
  analyzed: Promise<CallAnalysisRow>;
  /** Ends the call: optional farewell, then the session closes and the room is deleted. */
  end(reason: CallEndReason, farewell?: string): Promise<void>;
  /** Settles once every config change received so far has been applied. */
  configApplied(): Promise<void>;
  /** The config in effect now (after hot reloads); null for an unknown number. */
  currentConfig(): AgentConfig | null;
}

const DEFAULT_FAREWELL_TIMEOUT_MS = 10_000;

/** What every step of one call shares. */
interface CallScope {
  info: CallInfo;
  deps: CallDependencies;
  options: RunCallOptions;
  log: Logger;
  startedAt: Date;
  record: CallRecord;
  writes: DurableWrites;
  writer: CallRecordWriter;
  transcript: TranscriptRecorder;
  pipelineOptions: PipelineOptions;
  deadlines: ProviderDeadlines;
}

export async function runCall(
  info: CallInfo,
  deps: CallDependencies,
  options: RunCallOptions = {},
): Promise<RunningCall> {
  const log = deps.logger.child({ room: info.roomName, callId: info.callId });
  const startedAt = new Date();
  const callConfig = await resolveCallConfig(deps.configSource, info.dialedNumber, (error) =>
    log.warn(
      { err: errorMessage(error) },
      'config database unreachable and no copy known: answering with the generic receptionist',
    ),
  );
  const record = new CallRecord(callStartRow(info, callConfig, startedAt));
  const writes = deps.callWrites ?? new DurableWrites({ logger: log });
  const writer = new CallRecordWriter(deps.callStore, writes, record, log, options.callRecord);
  const transcript = new TranscriptRecorder(
    {
      store: deps.callStore,
      writes,
      rowId: () => writer.currentRowId,
      answeredAtMs: () => record.answeredAtMs ?? startedAt.getTime(),
      log,
    },
    options.transcript,
  );
  const scope = {
    info,
    deps,
    options,
    log,
    startedAt,
    record,
    writes,
    writer,
    transcript,
    pipelineOptions: pipelineOptions(deps, options, log),
    deadlines: providerDeadlines(options.deadlines),
  };
  return callConfig.kind === 'unknown' ? answerUnknownNumber(scope, callConfig) : answerWithAgent(scope, callConfig);
}

/** Not our number, or no config: say so and hang up at once, rather than let it ring for minutes. */
async function answerUnknownNumber(scope: CallScope, callConfig: UnknownCallConfig): Promise<RunningCall> {
  scope.log.info({ why: callConfig.reason }, 'unknown number: saying so and hanging up');
  const pipeline = announcementPipeline(callConfig.defaultVoiceId, scope.pipelineOptions);
  const lifecycle = newLifecycle(scope, pipeline);
  const finished = superviseCall(scope, pipeline, lifecycle);
  const analyzed = afterCall(scope, finished, null);
  const agent = new voice.Agent({ instructions: '' });
  await pipeline.start(agent);
  scope.record.answered();
  void lifecycle.end('unknown_number', UNKNOWN_NUMBER_MESSAGE);
  return {
    session: pipeline.session,
    agent,
    callConfig,
    voice: null,
    finished,
    recorded: scope.writer.rowId,
    analyzed,
    end: (reason, farewell) => lifecycle.end(reason, farewell),
    configApplied: () => Promise.resolve(),
    currentConfig: () => null,
  };
}

/** The owner's agent (or the generic receptionist): greets, converses, follows config changes. */
async function answerWithAgent(scope: CallScope, callConfig: AgentCallConfig): Promise<RunningCall> {
  const parts = buildAgentCall(scope, callConfig);
  const { pipeline, lifecycle, agent, live } = parts;
  const finished = superviseCall(scope, pipeline, lifecycle);
  const analyzed = afterCall(scope, finished, () => live.current);
  await pipeline.start(agent);
  scope.record.answered();
  const reloader = keepCallLive(scope, parts, callConfig.agentConfigId);
  if (live.current.greeting.trim()) pipeline.session.say(live.current.greeting);
  return {
    session: pipeline.session,
    agent,
    callConfig,
    voice: pipeline.voice,
    finished,
    recorded: scope.writer.rowId,
    analyzed,
    end: (reason, farewell) => lifecycle.end(reason, farewell),
    configApplied: () => reloader.idle,
    currentConfig: () => reloader.current,
  };
}

/** An agent call before it starts: the pipeline, how it ends, and the agent with its tools. */
interface AgentCallParts {
  pipeline: CallPipeline<CallVoice>;
  lifecycle: CallLifecycle;
  /** The config in effect: the tools read it, hot reload replaces it. */
  live: LiveConfig;
  caller: CallerContext;
  actions: CallActions;
  agent: CallAgent;
}

function buildAgentCall(scope: CallScope, callConfig: AgentCallConfig): AgentCallParts {
  const { info, record, log } = scope;
  const pipeline = conversationPipeline(
    callConfig,
    scope.pipelineOptions,
    reportVoiceFallback(scope, callConfig.agentConfigId),
  );
  const lifecycle = newLifecycle(scope, pipeline);
  const live: LiveConfig = { current: configForCall(callConfig) };
  const actions = callActions({
    call: lifecycle,
    currentConfig: () => live.current,
    session: pipeline.session,
    controls: scope.deps.controls,
    record,
    log,
    messages: {
      store: scope.deps.callStore,
      writes: scope.writes,
      callKey: scope.writer.callId,
      rowId: () => scope.writer.currentRowId,
      callerNumber: info.callerNumber,
      ...(scope.options.messageWaitMs !== undefined ? { waitMs: scope.options.messageWaitMs } : {}),
    },
  });
  const caller = { callerNumber: info.callerNumber, dialedNumber: info.dialedNumber };
  const agent = new CallAgent({
    instructions: buildInstructions(live.current, caller),
    tools: callTools(actions, live.current),
    deadlines: scope.deadlines,
    failOverVoice: (failure) => pipeline.voice.fail(failure.cause === 'stalled' ? 'stalled' : 'error'),
    onStall: (stall) => onProviderStall(stall, { call: lifecycle, record, log }),
    onTtsText: scope.options.onTtsText,
  });
  return { pipeline, lifecycle, live, caller, actions, agent };
}

/**
 * The config as this call uses it. A call with no owner (the generic receptionist, when the
 * database was unreachable) takes no messages and is not analysed: nobody could read them.
 */
function configForCall(callConfig: AgentCallConfig): AgentConfig {
  if (callConfig.ownerId) return callConfig.config;
  return { ...callConfig.config, take_messages: false, post_call_analysis: false };
}

/** Arms the limits and follows the number's config (hot reload) until the call ends. */
function keepCallLive(scope: CallScope, parts: AgentCallParts, agentConfigId: string | null): ConfigReloader {
  const { pipeline, lifecycle } = parts;
  const limits = new CallLimits(parts.live.current, {
    session: pipeline.session,
    startedAt: scope.startedAt,
    maxCallDurationMs: scope.options.maxCallDurationMs ?? Number.POSITIVE_INFINITY,
    end: (reason, farewell) => void lifecycle.end(reason, farewell),
  });
  lifecycle.onEnd(() => limits.stop());
  const reloader = new ConfigReloader({
    live: parts.live,
    caller: parts.caller,
    agent: parts.agent,
    actions: parts.actions,
    voice: pipeline.voice,
    providers: scope.deps.providers,
    hasStt: pipeline.hasStt,
    log: scope.log,
    onApplied: (change) => scope.record.configChanged(change),
    onLimits: (next) => limits.update(next),
  });
  const dialed = scope.info.dialedNumber;
  // The generic receptionist (no config id) has no config to follow.
  if (dialed && agentConfigId) lifecycle.onEnd(scope.deps.configSource.watch(dialed, (next) => reloader.apply(next)));
  return reloader;
}

function newLifecycle(scope: CallScope, pipeline: CallPipeline): CallLifecycle {
  return new CallLifecycle({
    session: pipeline.session,
    log: scope.log,
    farewellTimeoutMs: scope.pipelineOptions.farewellTimeoutMs,
    drainTimeoutMs: scope.deadlines.endDrainMs,
  });
}

/** Counts the call for its record, handles provider failures, and finishes it once the session closes. */
function superviseCall(scope: CallScope, pipeline: CallPipeline, lifecycle: CallLifecycle): Promise<CallOutcome> {
  const { record, log } = scope;
  record.observe(pipeline.session);
  scope.transcript.observe(pipeline.session);
  watchProviderFailures({
    call: lifecycle,
    session: pipeline.session,
    callVoice: pipeline.voice,
    record,
    log,
  });
  return lifecycle.closed.then((closed) =>
    finishCall(closed, {
      pipeline,
      controls: scope.deps.controls,
      record,
      writer: scope.writer,
      transcript: scope.transcript,
      log,
    }),
  );
}

/**
 * Once the call has finished (its end and last turns queued): the post-call analysis, queued
 * behind them. `config` is null for a call no config answered (skipped).
 */
async function afterCall(
  scope: CallScope,
  finished: Promise<CallOutcome>,
  config: (() => AgentConfig) | null,
): Promise<CallAnalysisRow> {
  const { reason } = await finished;
  const call = {
    config: config?.() ?? null,
    turns: scope.transcript.turns,
    endReason: reason,
    tokens: scope.record.llmTokens(),
  };
  const analysis = await analyzeCall(call, scope.deps.providers, scope.options.analysis);
  if (analysis.status === 'failed') scope.log.warn({ err: analysis.error }, 'post-call analysis failed');
  const { callStore } = scope.deps;
  scope.writes
    .enqueue({
      key: `analysis:${scope.writer.callId}`,
      what: 'call analysis',
      apply: () => callStore.recordAnalysis(scope.writer.currentRowId, analysis),
    })
    .catch((error: unknown) => scope.log.error({ err: errorMessage(error) }, 'could not record the call analysis'));
  return analysis;
}

/**
 * The configured voice failed and the call went on in the default one: record it, and tell the
 * owner when ElevenLabs refused the voice (a stall is an outage, not the owner's to fix).
 */
function reportVoiceFallback(scope: CallScope, agentConfigId: string | null): VoiceFailedHandler {
  const { record, log } = scope;
  return (failed, fallback, cause) => {
    record.voiceFellBack(failed, fallback);
    log.warn(
      { voiceId: failed, fallback, cause },
      'ElevenLabs could not speak in this voice: switched to the default voice',
    );
    if (!agentConfigId || cause === 'stalled') return;
    const { callStore } = scope.deps;
    scope.writes
      .enqueue({
        key: `voice_not_found:${agentConfigId}:${failed}`,
        what: 'voice_not_found report',
        apply: () => callStore.reportVoiceNotFound(agentConfigId, failed, 'worker'),
      })
      .catch((error: unknown) => log.error({ err: errorMessage(error) }, 'could not report voice_not_found'));
  };
}

function pipelineOptions(deps: CallDependencies, options: RunCallOptions, log: Logger): PipelineOptions {
  const { room, participantIdentity, audioInput, audioOutput } = options;
  return {
    providers: deps.providers,
    io: { room, participantIdentity, audioInput, audioOutput },
    connOptions: options.connOptions,
    farewellTimeoutMs: options.farewellTimeoutMs ?? DEFAULT_FAREWELL_TIMEOUT_MS,
    log,
  };
}
