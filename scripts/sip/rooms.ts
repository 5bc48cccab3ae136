// `rooms`: the active call rooms, their SIP participants, call status and age. Caller numbers
// are shown as their last four digits unless --show-numbers.
import { maskNumber } from '../../shared/sip/numbers.ts';
import { EXIT_CODE, type ExitCode } from '../exit_code.ts';
import { requireLiveKit, type SipContext } from './context.ts';
import { LiveKitOps } from './livekit_ops.ts';
import type { Output } from './output.ts';

const SIP_KIND = 3; // protocol ParticipantInfo_Kind.SIP
const AGENT_KIND = 4; // protocol ParticipantInfo_Kind.AGENT

export interface CallRoom {
  room: string;
  ageMs: number;
  agentJoined: boolean;
  participants: {
    identity: string;
    caller: string;
    dialed: string;
    callStatus: string;
    callId: string;
    trunkId: string;
    ruleId: string;
  }[];
}

export async function listCallRooms(ops: LiveKitOps, now = Date.now()): Promise<CallRoom[]> {
  const rooms = await ops.call('list rooms', () => ops.rooms.listRooms());
  const detailed = await Promise.all(
    rooms.map(async (room) => {
      const participants = await ops
        .call(`list participants of ${room.name}`, () => ops.rooms.listParticipants(room.name))
        .catch(() => []);
      return { room, participants };
    }),
  );
  return detailed
    .map(({ room, participants }) => ({
      room: room.name,
      ageMs: Math.max(0, now - Number(room.creationTime) * 1000),
      agentJoined: participants.some((p) => Number(p.kind) === AGENT_KIND),
      participants: participants
        .filter((p) => Number(p.kind) === SIP_KIND)
        .map((p) => ({
          identity: p.identity,
          caller: p.attributes['sip.phoneNumber'] ?? '',
          dialed: p.attributes['sip.trunkPhoneNumber'] ?? '',
          callStatus: p.attributes['sip.callStatus'] ?? '',
          callId: p.attributes['sip.callID'] ?? '',
          trunkId: p.attributes['sip.trunkID'] ?? '',
          ruleId: p.attributes['sip.ruleID'] ?? '',
        })),
    }))
    .filter((r) => r.participants.length > 0)
    .sort((a, b) => b.ageMs - a.ageMs);
}

export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export async function roomsCommand(
  ctx: SipContext,
  out: Output,
  flags: { json?: boolean; showNumbers?: boolean },
): Promise<ExitCode> {
  const ops = new LiveKitOps(requireLiveKit(ctx.env), ctx.env.LIVEKIT_TIMEOUT_MS);
  const rooms = await listCallRooms(ops);
  const shown = flags.showNumbers
    ? rooms
    : rooms.map((r) => ({
        ...r,
        room: r.participants.reduce(
          (name, p) => (p.caller ? name.split(p.caller).join(maskNumber(p.caller)) : name),
          r.room,
        ),
        participants: r.participants.map((p) => ({
          ...p,
          caller: maskNumber(p.caller),
          identity: p.identity.startsWith('sip_+') ? `sip_${maskNumber(p.identity.slice(4))}` : p.identity,
        })),
      }));
  if (flags.json) {
    out.stdout(JSON.stringify(shown, null, 2));
    return EXIT_CODE.ok;
  }
  if (shown.length === 0) {
    out.stdout('No active call rooms.');
    return EXIT_CODE.ok;
  }
  out.stdout(`${shown.length} active call room(s):`);
  for (const r of shown) {
    for (const p of r.participants) {
      const stuck =
        p.callStatus === 'ringing' && !r.agentJoined && r.ageMs > 15_000
          ? '  <- ringing with no agent: run npm run sip -- doctor'
          : '';
      out.stdout(
        `  ${r.room}  age ${formatAge(r.ageMs)}  ${p.callStatus || '?'}  caller ${p.caller || '?'} -> ${p.dialed || '?'}  agent ${r.agentJoined ? 'joined' : 'none'}  ${p.callId}${stuck}`,
      );
    }
  }
  return EXIT_CODE.ok;
}
