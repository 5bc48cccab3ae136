// A LiveKit API fake on 127.0.0.1: the Twirp services livekit.SIP and livekit.RoomService, as
// the real livekit-server-sdk calls them. It keeps state, enforces LiveKit's SIP rules
// (livekit_sip.ts), requires a bearer token signed with its key/secret carrying the right grant,
// answers with the real error shapes (plain-text 401 before Twirp, Twirp JSON errors after), and
// lets tests add latency, failures and call rooms. SIP transfers (TransferSIPParticipant) are
// validated as the server does, recorded in `transfers`, and take the caller out of the room.
// Runs under Node and Deno (node:http + jose).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { jwtVerify } from 'jose';
import { camelKeys, ruleToWire, snakeKeys, trunkToWire } from './livekit_wire.ts';
import { SipState, TwirpFailure, newId } from './livekit_sip.ts';

type Obj = Record<string, unknown>;

export interface FakeLiveKitOptions {
  apiKey?: string;
  apiSecret?: string;
  /** Delay before answering each request, in ms. */
  latencyMs?: number;
}

/**
 * What a failing request does: a Twirp error (`meta` as the server sends it, e.g.
 * `{ sip_status_code: '486', sip_status: 'Busy Here' }` for a refused transfer), a non-JSON 5xx (a
 * proxy), a reset socket, or no answer.
 */
export type Failure =
  | { code: string; msg?: string; status?: number; meta?: Record<string, string> }
  | { kind: 'html'; status?: number }
  | { kind: 'reset' }
  | { kind: 'hang' };

export interface RecordedRequest {
  service: string;
  method: string;
  /** ms since the fake started. */
  startedAt: number;
  finishedAt?: number;
  body: Obj;
}

export interface FakeCall {
  room?: string;
  caller: string;
  called: string;
  /** sip.callStatus: ringing, active or hangup. */
  callStatus?: string;
  /** How long ago the room was created. */
  ageMs?: number;
  /** Whether an agent participant has joined. */
  withAgent?: boolean;
  trunkId?: string;
  ruleId?: string;
}

/** A transfer LiveKit accepted: the caller was REFERred to `transferTo` and left the room. */
export interface RecordedTransfer {
  room: string;
  participantIdentity: string;
  /** sip:… or tel:…, as sent. */
  transferTo: string;
  /** The caller's sip.callID, which LiveKit hands to the SIP bridge. */
  sipCallId: string;
  playDialtone: boolean;
  /** Seconds, or null when the request gave none. */
  ringingTimeoutS: number | null;
}

interface RoomState {
  room: Obj;
  participants: Obj[];
}

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  malformed: 400,
  out_of_range: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  canceled: 408,
  deadline_exceeded: 408,
  already_exists: 409,
  aborted: 409,
  failed_precondition: 412,
  internal: 500,
  unknown: 500,
  data_loss: 500,
  unimplemented: 501,
  unavailable: 503,
};

/** Which grant each method needs (livekit.md §5). */
function hasGrant(claims: Obj, service: string, method: string): boolean {
  const video = (claims.video ?? {}) as Obj;
  const sip = (claims.sip ?? {}) as Obj;
  // A transfer needs sip.call plus roomAdmin (checked against the request's room in transfer()).
  if (method === 'TransferSIPParticipant') return (sip.admin === true || sip.call === true) && video.roomAdmin === true;
  if (service === 'SIP') return sip.admin === true;
  if (method === 'ListRooms') return video.roomList === true;
  if (method === 'DeleteRoom' || method === 'CreateRoom') return video.roomCreate === true;
  return video.roomAdmin === true;
}

export class FakeLiveKit {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly sip = new SipState();
  readonly rooms = new Map<string, RoomState>();
  readonly requests: RecordedRequest[] = [];
  readonly transfers: RecordedTransfer[] = [];
  latencyMs: number;
  private readonly methodLatency = new Map<string, number>();
  private readonly failures: { method: string; failure: Failure; times: number }[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly started = performance.now();
  private port = 0;

  private constructor(options: FakeLiveKitOptions) {
    this.apiKey = options.apiKey ?? 'fake-api-key';
    this.apiSecret = options.apiSecret ?? 'fake-api-secret-that-is-long-enough-0123456789';
    this.latencyMs = options.latencyMs ?? 0;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeLiveKitOptions = {}): Promise<FakeLiveKit> {
    const fake = new FakeLiveKit(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as { port: number }).port;
    return fake;
  }

  /** http://127.0.0.1:<port>, what LIVEKIT_URL points at (ws:// works too). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Latency for one method (e.g. 'ListSIPInboundTrunk'), or for all when `method` is omitted. */
  setLatency(ms: number, method?: string): void {
    if (method) this.methodLatency.set(method, ms);
    else this.latencyMs = ms;
  }

  /** Fails the next `times` calls of `method` ('*' for any). */
  fail(method: string, failure: Failure, times = 1): void {
    this.failures.push({ method, failure, times });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Seeds a call room the way a dispatch rule creates one, with its SIP participant. */
  addCall(call: FakeCall): string {
    const name = call.room ?? `call-_${call.caller}_${newId('')}`;
    const createdSeconds = Math.floor((Date.now() - (call.ageMs ?? 0)) / 1000);
    const participants: Obj[] = [
      {
        sid: newId('PA_'),
        identity: `sip_${call.caller}`,
        name: `Phone ${call.caller}`,
        state: 'ACTIVE',
        kind: 'SIP',
        joinedAt: String(createdSeconds),
        attributes: {
          'sip.callID': newId('SCL_'),
          'sip.callStatus': call.callStatus ?? 'active',
          'sip.phoneNumber': call.caller,
          'sip.trunkPhoneNumber': call.called,
          'sip.trunkID': call.trunkId ?? '',
          'sip.ruleID': call.ruleId ?? '',
        },
      },
    ];
    if (call.withAgent) {
      participants.push({
        sid: newId('PA_'),
        identity: `agent-${newId('AJ_')}`,
        name: 'agent',
        state: 'ACTIVE',
        kind: 'AGENT',
        joinedAt: String(createdSeconds),
        attributes: {},
      });
    }
    this.rooms.set(name, {
      room: { sid: newId('RM_'), name, creationTime: String(createdSeconds), metadata: '' },
      participants,
    });
    return name;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ----------------------------------------------------------------------------------------
  /** Forgets every trunk, rule, room, failure, latency and recorded request. */
  reset(): void {
    this.sip.trunks.clear();
    this.sip.rules.clear();
    this.rooms.clear();
    this.failures.length = 0;
    this.methodLatency.clear();
    this.latencyMs = 0;
    this.requests.length = 0;
    this.transfers.length = 0;
  }

  /**
   * Test control for other processes (the Deno function tests): POST /__fake/reset,
   * /__fake/latency {ms, method?}, /__fake/fail {method, failure, times?}, /__fake/call {FakeCall};
   * GET /__fake/state -> {trunks, rules, requests}. No auth: loopback test use only.
   */
  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = (raw ? JSON.parse(raw) : {}) as Obj;
    const reply = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value ?? {}));
    };
    switch (req.url) {
      case '/__fake/reset':
        return reply(this.reset());
      case '/__fake/latency':
        return reply(this.setLatency(Number(body.ms ?? 0), body.method as string | undefined));
      case '/__fake/fail':
        return reply(this.fail(String(body.method ?? '*'), body.failure as Failure, Number(body.times ?? 1)));
      case '/__fake/call':
        return reply({ room: this.addCall(body as unknown as FakeCall) });
      case '/__fake/state':
        return reply({
          trunks: [...this.sip.trunks.values()],
          rules: [...this.sip.rules.values()],
          requests: this.requests.map(({ service, method, startedAt, finishedAt }) => ({
            service,
            method,
            startedAt,
            finishedAt,
          })),
          transfers: this.transfers,
        });
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: `unknown control ${req.url}` }));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url?.startsWith('/__fake/')) return this.control(req, res);
    const match = /^\/twirp\/livekit\.(\w+)\/(\w+)$/.exec(req.url ?? '');
    const raw = await readBody(req);
    const record: RecordedRequest = {
      service: match?.[1] ?? '',
      method: match?.[2] ?? '',
      startedAt: performance.now() - this.started,
      body: {},
    };
    this.requests.push(record);
    const finish = () => (record.finishedAt = performance.now() - this.started);
    res.on('finish', finish);
    res.on('close', finish);

    const delay = this.methodLatency.get(record.method) ?? this.latencyMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

    if (req.method !== 'POST' || !match)
      return twirpError(res, 'bad_route', `no handler for path ${JSON.stringify(req.url)}`);
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return plain(res, 401, 'invalid authorization header. Must start with Bearer ');
    let claims: Obj;
    try {
      const verified = await jwtVerify(auth.slice(7), new TextEncoder().encode(this.apiSecret), {
        issuer: this.apiKey,
        requiredClaims: ['exp'],
      });
      claims = verified.payload as Obj;
    } catch (error) {
      return plain(res, 401, `invalid authorization token: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!hasGrant(claims, record.service, record.method))
      return twirpError(res, 'unauthenticated', 'permissions denied');

    const failure = this.takeFailure(record.method);
    if (failure) {
      if ('kind' in failure) {
        if (failure.kind === 'hang') return; // never answers; close() destroys the socket
        if (failure.kind === 'reset') return void req.socket.destroy();
        res.writeHead(failure.status ?? 502, { 'content-type': 'text/html' });
        return void res.end('<html><body>502 Bad Gateway</body></html>');
      }
      return twirpError(res, failure.code, failure.msg ?? failure.code, failure.status, failure.meta);
    }

    let body: Obj;
    try {
      body = camelKeys(raw === '' ? {} : JSON.parse(raw));
    } catch {
      return twirpError(res, 'malformed', 'the json request could not be decoded');
    }
    record.body = body;
    try {
      const reply = this.dispatch(record.service, record.method, body, claims);
      if (reply === undefined) return twirpError(res, 'bad_route', `no handler for path ${JSON.stringify(req.url)}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    } catch (error) {
      if (error instanceof TwirpFailure) return twirpError(res, error.code, error.message);
      return twirpError(res, 'internal', error instanceof Error ? error.message : String(error));
    }
  }

  private takeFailure(method: string): Failure | undefined {
    const i = this.failures.findIndex((f) => f.method === method || f.method === '*');
    if (i < 0) return undefined;
    const entry = this.failures[i]!;
    if (--entry.times <= 0) this.failures.splice(i, 1);
    return entry.failure;
  }

  private dispatch(service: string, method: string, body: Obj, claims: Obj): unknown {
    const sip = this.sip;
    if (service === 'SIP') {
      switch (method) {
        case 'TransferSIPParticipant':
          return this.transfer(body, claims);
        case 'CreateSIPInboundTrunk':
          return trunkToWire(sip.createTrunk((body.trunk ?? {}) as Obj));
        case 'ListSIPInboundTrunk':
          return { items: sip.listTrunks(body).map((t) => (t.sipTrunkId ? trunkToWire(t) : {})) };
        case 'UpdateSIPInboundTrunk':
          return trunkToWire(sip.updateTrunk(body));
        case 'DeleteSIPTrunk':
          return snakeKeys(sip.deleteTrunk(body));
        case 'CreateSIPDispatchRule':
          return ruleToWire(sip.createRule(body));
        case 'ListSIPDispatchRule':
          return { items: sip.listRules(body).map((r) => (r.sipDispatchRuleId ? ruleToWire(r) : {})) };
        case 'UpdateSIPDispatchRule':
          return ruleToWire(sip.updateRule(body));
        case 'DeleteSIPDispatchRule':
          return ruleToWire(sip.deleteRule(body));
        default:
          return undefined;
      }
    }
    if (service === 'RoomService') {
      switch (method) {
        case 'ListRooms': {
          const names = Array.isArray(body.names) ? (body.names as string[]) : [];
          const rooms = [...this.rooms.values()].filter(
            (r) => names.length === 0 || names.includes(String(r.room.name)),
          );
          return { rooms: rooms.map((r) => snakeKeys({ ...r.room, numParticipants: r.participants.length })) };
        }
        case 'ListParticipants':
          return { participants: this.room(body.room).participants.map(snakeKeys) };
        case 'DeleteRoom': {
          this.room(body.room);
          this.rooms.delete(String(body.room));
          return {};
        }
        case 'RemoveParticipant': {
          const state = this.room(body.room);
          const i = state.participants.findIndex((p) => p.identity === body.identity);
          if (i < 0) throw new TwirpFailure('not_found', 'participant not found');
          state.participants.splice(i, 1);
          return {};
        }
        case 'CreateRoom': {
          const name = String(body.name ?? '');
          if (!this.rooms.has(name))
            this.rooms.set(name, {
              room: { sid: newId('RM_'), name, creationTime: String(Math.floor(Date.now() / 1000)), metadata: '' },
              participants: [],
            });
          return snakeKeys({ ...this.rooms.get(name)!.room, numParticipants: 0 });
        }
        default:
          return undefined;
      }
    }
    return undefined;
  }

  /**
   * livekit/livekit pkg/service/sip.go: the room and identity must be given, the token's
   * roomAdmin must cover the room, the participant must exist and have a SIP session, and
   * transfer_to must be a sip: or tel: URI (protocol TransferSIPParticipantRequest.Validate).
   * On success the REFER is accepted: the caller leaves the room, which stays.
   */
  private transfer(body: Obj, claims: Obj): Obj {
    const roomName = String(body.roomName ?? '');
    const identity = String(body.participantIdentity ?? '');
    const transferTo = String(body.transferTo ?? '');
    if (!roomName) throw new TwirpFailure('invalid_argument', 'Missing room name');
    if (!identity) throw new TwirpFailure('invalid_argument', 'Missing participant identity');
    if (!transferTo) throw new TwirpFailure('invalid_argument', 'missing transfer to');
    const inner = transferTo.startsWith('<') && transferTo.endsWith('>') ? transferTo.slice(1, -1) : transferTo;
    if (!inner.startsWith('sip:') && !inner.startsWith('tel:')) {
      throw new TwirpFailure('invalid_argument', 'transfer_to must be a valid SIP or TEL URI (sip: or tel:)');
    }
    const grantRoom = ((claims.video ?? {}) as Obj).room;
    if (typeof grantRoom === 'string' && grantRoom !== '' && grantRoom !== roomName)
      throw new TwirpFailure('unauthenticated', 'permissions denied');
    const state = this.room(roomName);
    const i = state.participants.findIndex((p) => p.identity === identity);
    if (i < 0) throw new TwirpFailure('not_found', 'participant not found');
    const sipCallId = ((state.participants[i]!.attributes ?? {}) as Record<string, string>)['sip.callID'];
    if (!sipCallId) throw new TwirpFailure('invalid_argument', 'no SIP session associated with participant');
    const ringing = typeof body.ringingTimeout === 'string' ? Number.parseFloat(body.ringingTimeout) : Number.NaN;
    this.transfers.push({
      room: roomName,
      participantIdentity: identity,
      transferTo,
      sipCallId,
      playDialtone: body.playDialtone === true,
      ringingTimeoutS: Number.isFinite(ringing) ? ringing : null,
    });
    state.participants.splice(i, 1);
    return {};
  }

  private room(name: unknown): RoomState {
    const state = this.rooms.get(String(name ?? ''));
    if (!state) throw new TwirpFailure('not_found', 'requested room does not exist');
    return state;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    req.on('end', () => resolve(new TextDecoder().decode(concat(chunks))));
    req.on('error', reject);
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function twirpError(
  res: ServerResponse,
  code: string,
  msg: string,
  status?: number,
  meta: Record<string, string> = {},
): void {
  res.writeHead(status ?? TWIRP_STATUS[code] ?? 500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, msg, meta }));
}
