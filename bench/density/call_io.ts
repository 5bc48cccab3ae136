// A bench call's audio, for either pipeline: the caller's sentences in, the agent's replies out,
// and the times both report into the job's results file. Each call starts its first sentence at
// its own phase of the turn cycle, so N callers' turns spread out as independent calls would.
import { voice } from '@livekit/agents';
import { CallerAudioInput } from './caller_audio_input.ts';
import { type DensityJobMeta, eventWriter, type loadCallerSpeech } from './job_protocol.ts';
import { ReplyAudioOutput } from './reply_audio_output.ts';

export interface CallIo {
  audioInput: CallerAudioInput;
  audioOutput: ReplyAudioOutput;
  /** Reports the session started and listening, and from then on the framework's turn metrics. */
  live(session: voice.AgentSession): void;
}

export type CallerSpeech = ReturnType<typeof loadCallerSpeech>;

export function callIo(meta: DensityJobMeta, speech: CallerSpeech): CallIo {
  const write = eventWriter();
  const meanSentenceMs =
    speech.utterances.reduce((sum, u) => sum + (u.length * 1000) / speech.sampleRate, 0) / speech.utterances.length;
  const cycleMs = meanSentenceMs + meta.gapMs;
  const phaseMs = meta.calls > 1 ? (meta.call / meta.calls) * cycleMs : 0;
  const audioInput = new CallerAudioInput({
    sampleRate: speech.sampleRate,
    utterances: speech.utterances,
    leadInMs: meta.leadInMs + phaseMs,
    gapMs: meta.gapMs,
    onUtteranceEnd: (turn, at) => write({ t: 'eos', call: meta.call, turn, at }),
  });
  const audioOutput = new ReplyAudioOutput((at) => write({ t: 'reply', call: meta.call, at }));
  return {
    audioInput,
    audioOutput,
    live: (session) => {
      write({ t: 'live', call: meta.call, pid: process.pid, at: Date.now() });
      session.on(voice.AgentSessionEventTypes.MetricsCollected, ({ metrics }) => {
        const call = meta.call;
        const at = Date.now();
        if (metrics.type === 'eou_metrics')
          write({
            t: 'metric',
            call,
            at,
            kind: 'eou',
            ms: metrics.endOfUtteranceDelayMs,
            extraMs: metrics.transcriptionDelayMs,
          });
        else if (metrics.type === 'llm_metrics') write({ t: 'metric', call, at, kind: 'llm', ms: metrics.ttftMs });
        else if (metrics.type === 'tts_metrics') write({ t: 'metric', call, at, kind: 'tts', ms: metrics.ttfbMs });
      });
    },
  };
}
