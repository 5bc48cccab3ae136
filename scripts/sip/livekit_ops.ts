// LiveKit calls for the commands that change things, each failure turned into one AppError line.
import { RoomServiceClient, SIPDispatchRuleInfo, SIPInboundTrunkInfo, type SipClient } from 'livekit-server-sdk';
import { classifyLiveKitError } from '../../shared/sip/livekit_errors.ts';
import type { DispatchRule, InboundTrunk } from '../../shared/sip/types.ts';
import { AppError, type ErrorCode } from '../../shared/errors.ts';
import { type LiveKitAccess, sipClient } from '../../shared/sip/collect.ts';

const CODE_BY_KIND: Record<string, ErrorCode> = {
  config: 'invalid_config',
  unauthorized: 'unauthorized',
  unreachable: 'unavailable',
  timeout: 'timeout',
  refused: 'upstream_error',
};

export class LiveKitOps {
  readonly sip: SipClient;
  readonly rooms: RoomServiceClient;
  private readonly access: LiveKitAccess;
  private readonly timeoutMs: number;

  constructor(access: LiveKitAccess, timeoutMs: number) {
    this.access = access;
    this.timeoutMs = timeoutMs;
    this.sip = sipClient(access, timeoutMs);
    this.rooms = new RoomServiceClient(access.host, access.apiKey, access.apiSecret, {
      requestTimeout: timeoutMs / 1000,
    });
  }

  get host(): string {
    return this.access.host;
  }

  async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const failure = classifyLiveKitError(error, { host: this.access.host, timeoutMs: this.timeoutMs, action });
      throw new AppError(CODE_BY_KIND[failure.kind] ?? 'upstream_error', failure.line, { cause: error });
    }
  }

  async listLive(): Promise<{ trunks: InboundTrunk[]; rules: DispatchRule[] }> {
    const [trunks, rules] = await this.call('list trunks and dispatch rules', () =>
      Promise.all([this.sip.listSipInboundTrunk(), this.sip.listSipDispatchRule()]),
    );
    return {
      trunks: trunks.map((t) => t.toJson() as InboundTrunk),
      rules: rules.map((r) => r.toJson() as DispatchRule),
    };
  }

  async getTrunk(id: string): Promise<InboundTrunk> {
    const [trunk] = await this.call(`read trunk ${id}`, () => this.sip.listSipInboundTrunk({ trunkIds: [id] }));
    if (!trunk?.sipTrunkId)
      throw new AppError('not_found', `Trunk ${id} disappeared while applying: run the command again.`);
    return trunk.toJson() as InboundTrunk;
  }

  async getRule(id: string): Promise<DispatchRule> {
    const [rule] = await this.call(`read dispatch rule ${id}`, () =>
      this.sip.listSipDispatchRule({ dispatchRuleIds: [id] }),
    );
    if (!rule?.sipDispatchRuleId)
      throw new AppError('not_found', `Dispatch rule ${id} disappeared while applying: run the command again.`);
    return rule.toJson() as DispatchRule;
  }

  /** Creates with the SDK helper, then replaces with the whole object so fields the helper cannot set survive. */
  async createTrunk(trunk: InboundTrunk): Promise<InboundTrunk> {
    const created = await this.call(`create trunk ${JSON.stringify(trunk.name ?? '')}`, () =>
      this.sip.createSipInboundTrunk(trunk.name ?? '', trunk.numbers ?? [], {
        allowedAddresses: trunk.allowedAddresses ?? [],
        allowedNumbers: trunk.allowedNumbers ?? [],
        ...(trunk.authUsername ? { authUsername: trunk.authUsername, authPassword: trunk.authPassword ?? '' } : {}),
        ...(trunk.metadata ? { metadata: trunk.metadata } : {}),
        krispEnabled: trunk.krispEnabled ?? false,
      }),
    );
    return this.replaceTrunk(created.sipTrunkId, { ...trunk, sipTrunkId: created.sipTrunkId });
  }

  async replaceTrunk(id: string, trunk: InboundTrunk): Promise<InboundTrunk> {
    const { createdAt: _c, updatedAt: _u, ...body } = trunk;
    const info = SIPInboundTrunkInfo.fromJson({ ...body, sipTrunkId: id } as never, { ignoreUnknownFields: true });
    const updated = await this.call(`update trunk ${id}`, () => this.sip.updateSipInboundTrunk(id, info));
    return updated.toJson() as InboundTrunk;
  }

  async createRule(rule: DispatchRule): Promise<DispatchRule> {
    const kind = rule.rule ?? {};
    const spec = kind.dispatchRuleDirect
      ? {
          type: 'direct' as const,
          roomName: kind.dispatchRuleDirect.roomName ?? '',
          pin: kind.dispatchRuleDirect.pin ?? '',
        }
      : kind.dispatchRuleCallee
        ? {
            type: 'callee' as const,
            roomPrefix: kind.dispatchRuleCallee.roomPrefix ?? '',
            pin: kind.dispatchRuleCallee.pin ?? '',
            randomize: kind.dispatchRuleCallee.randomize ?? false,
          }
        : {
            type: 'individual' as const,
            roomPrefix: kind.dispatchRuleIndividual?.roomPrefix ?? '',
            pin: kind.dispatchRuleIndividual?.pin ?? '',
          };
    const full = SIPDispatchRuleInfo.fromJson({ ...stripVolatile(rule), sipDispatchRuleId: '' } as never, {
      ignoreUnknownFields: true,
    });
    const created = await this.call(`create dispatch rule ${JSON.stringify(rule.name ?? '')}`, () =>
      this.sip.createSipDispatchRule(spec, {
        name: full.name,
        metadata: full.metadata,
        trunkIds: full.trunkIds,
        hidePhoneNumber: full.hidePhoneNumber,
        attributes: full.attributes,
        roomPreset: full.roomPreset,
        ...(full.roomConfig ? { roomConfig: full.roomConfig } : {}),
      }),
    );
    const createdJson = created.toJson() as DispatchRule;
    const wanted = { ...stripVolatile(rule), sipDispatchRuleId: created.sipDispatchRuleId };
    // The helper cannot set inboundNumbers, numbers, krispEnabled, media: put the whole rule back.
    const needsReplace =
      JSON.stringify(sortKeys(stripVolatile(createdJson))) !== JSON.stringify(sortKeys(stripVolatile(wanted)));
    return needsReplace ? this.replaceRule(created.sipDispatchRuleId, wanted) : createdJson;
  }

  async replaceRule(id: string, rule: DispatchRule): Promise<DispatchRule> {
    const info = SIPDispatchRuleInfo.fromJson({ ...stripVolatile(rule), sipDispatchRuleId: id } as never, {
      ignoreUnknownFields: true,
    });
    const updated = await this.call(`update dispatch rule ${id}`, () => this.sip.updateSipDispatchRule(id, info));
    return updated.toJson() as DispatchRule;
  }

  async deleteRule(id: string): Promise<void> {
    await this.call(`delete dispatch rule ${id}`, () => this.sip.deleteSipDispatchRule(id));
  }

  async deleteTrunk(id: string): Promise<void> {
    await this.call(`delete trunk ${id}`, () => this.sip.deleteSipTrunk(id));
  }
}

function stripVolatile<T extends Record<string, unknown>>(value: T): T {
  const { createdAt: _c, updatedAt: _u, ...rest } = value;
  return rest as T;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
