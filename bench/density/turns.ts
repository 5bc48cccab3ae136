// Turns from the jobs' results files: each end of a caller sentence paired with the first agent
// audio after it (and before the caller's next sentence). Turn latency = that frame's time − the
// sentence's scheduled end.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DensityEvent } from './job_protocol.ts';

export interface StepEvents {
  live: Array<Extract<DensityEvent, { t: 'live' }>>;
  eos: Array<Extract<DensityEvent, { t: 'eos' }>>;
  reply: Array<Extract<DensityEvent, { t: 'reply' }>>;
  metric: Array<Extract<DensityEvent, { t: 'metric' }>>;
}

export function readEvents(dir: string): StepEvents {
  const out: StepEvents = { live: [], eos: [], reply: [], metric: [] };
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue;
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      const event = JSON.parse(line) as DensityEvent;
      if (event.t === 'live') out.live.push(event);
      else if (event.t === 'eos') out.eos.push(event);
      else if (event.t === 'reply') out.reply.push(event);
      else out.metric.push(event);
    }
  }
  return out;
}

export interface Turn {
  latencyMs: number;
  /**
   * The end-of-turn model judged the sentence unfinished, so the framework waited for its
   * endpointing maxDelay (its end-of-utterance metric for the turn was above HELD_EOU_MS).
   */
  held: boolean;
}

/** Between the 550 ms a likely end waits and the 2500 ms maxDelay an unlikely one waits. */
const HELD_EOU_MS = 1_500;

export interface TurnStats {
  /** Sentences that ended inside the window and were answered. */
  turns: Turn[];
  /** Sentences in the window the agent never answered before the caller spoke again. */
  unanswered: number;
}

export function turnsInWindow(events: StepEvents, fromMs: number, toMs: number): TurnStats {
  const turns: Turn[] = [];
  let unanswered = 0;
  const byCall = new Map<number, { eos: number[]; reply: number[]; eou: Array<{ at: number; ms: number }> }>();
  const of = (call: number) => {
    let entry = byCall.get(call);
    if (!entry) byCall.set(call, (entry = { eos: [], reply: [], eou: [] }));
    return entry;
  };
  for (const e of events.eos) of(e.call).eos.push(e.at);
  for (const r of events.reply) of(r.call).reply.push(r.at);
  for (const m of events.metric) if (m.kind === 'eou') of(m.call).eou.push({ at: m.at, ms: m.ms });
  for (const { eos, reply, eou } of byCall.values()) {
    eos.sort((a, b) => a - b);
    reply.sort((a, b) => a - b);
    eos.forEach((end, i) => {
      if (end < fromMs || end > toMs) return;
      const next = eos[i + 1] ?? Number.POSITIVE_INFINITY;
      const first = reply.find((at) => at > end && at < next);
      if (first === undefined) {
        unanswered += 1;
        return;
      }
      const metric = eou.find((m) => m.at > end && m.at <= first);
      turns.push({ latencyMs: first - end, held: (metric?.ms ?? 0) > HELD_EOU_MS });
    });
  }
  return { turns, unanswered };
}
