// The Switchboard side of the density bench: the worker's real prewarm (agent/job.ts: the
// environment, the hub connection, Silero) and its entry as far as it goes without a LiveKit room.
// What entry does that needs the room is left out: ctx.connect() and waiting for the SIP
// participant (its attributes come from the job's metadata instead), and the session's room I/O
// (the caller's audio comes from CallerAudioInput, replies go to ReplyAudioOutput). Everything
// after is entry's own code path: callInfoFrom, liveKitCallControls (against the LiveKit fake),
// runCall with entry's callDependencies (the hub's config source and call store, the process's
// write queue, the providers), and entry's untilCallEnds (the same shutdown: end the call, wait
// for its record and analysis, flush the writes).
import { defineAgent, type JobContext, type JobProcess, log } from '@livekit/agents';
import { errorMessage } from '../../shared/errors.ts';
import { liveKitCallControls } from '../../agent/call/call_controls.ts';
import { runCall } from '../../agent/call/run_call.ts';
import { callDependencies, callInfoFrom, prewarm, untilCallEnds, type WorkerProcessData } from '../../agent/job.ts';
import { type CallerSpeech, callIo } from './call_io.ts';
import { type DensityJobMeta, loadCallerSpeech } from './job_protocol.ts';

type BenchProcessData = WorkerProcessData & { speech: CallerSpeech };

async function benchPrewarm(proc: JobProcess<Record<string, unknown>>): Promise<void> {
  await prewarm(proc);
  proc.userData.speech = loadCallerSpeech();
}

async function benchEntry(ctx: JobContext<Record<string, unknown>>): Promise<void> {
  const data = ctx.proc.userData as BenchProcessData;
  const meta = JSON.parse(ctx.job.metadata) as DensityJobMeta;
  const logger = log().child({ room: meta.room });
  // What entry reads from the SIP participant's attributes, as LiveKit would set them.
  const attributes = {
    'sip.callID': `SCL_${ctx.job.id}`,
    'sip.trunkPhoneNumber': meta.dialed,
    'sip.phoneNumber': meta.caller,
  };
  const info = callInfoFrom(meta.room, attributes);
  const controls = liveKitCallControls({
    api: data.env.livekit,
    roomName: info.roomName,
    participantIdentity: `sip_${meta.caller}`,
    onError: (_what, error) => logger.error({ err: errorMessage(error) }, 'could not delete the room to hang up'),
  });
  const io = callIo(meta, data.speech);
  const call = await runCall(info, callDependencies(data, controls, logger), {
    audioInput: io.audioInput,
    audioOutput: io.audioOutput,
    deadlines: data.env.deadlines,
    analysis: { timeoutMs: data.env.analysisTimeoutMs },
  });
  io.live(call.session);
  await untilCallEnds(ctx, call, data, logger);
}

export default defineAgent({ prewarm: benchPrewarm, entry: benchEntry });
