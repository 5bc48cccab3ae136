// The SIP service state of the LiveKit fake, with LiveKit's rules (livekit.md §3-§5): server ids,
// the trunk create check, trunk and rule conflicts, replace vs update, not_found.
type Obj = Record<string, unknown>;

export class TwirpFailure extends Error {
  readonly code: string;
  constructor(code: string, msg: string) {
    super(msg);
    this.code = code;
  }
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
export function newId(prefix: string): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const printId = (id: unknown) => (id ? String(id) : '<new>');
const nowIso = () => new Date().toISOString();

function applyListUpdate(current: string[], update: unknown, field: string): string[] {
  if (update === undefined || update === null) return current;
  const u = update as { set?: string[]; add?: string[]; remove?: string[]; clear?: boolean };
  const all = [...(u.set ?? []), ...(u.add ?? []), ...(u.remove ?? [])];
  if (all.some((s) => s === '')) throw new TwirpFailure('invalid_argument', `${field}: empty strings are not allowed`);
  if (u.clear) {
    if (u.set?.length || u.add?.length || u.remove?.length)
      throw new TwirpFailure('invalid_argument', `${field}: clear cannot be combined with other operations`);
    return [];
  }
  if (u.set && u.set.length > 0) {
    if (u.add?.length || u.remove?.length)
      throw new TwirpFailure('invalid_argument', `${field}: set cannot be combined with add or remove`);
    return [...u.set];
  }
  const next = current.filter((s) => !(u.remove ?? []).includes(s));
  for (const s of u.add ?? []) if (!next.includes(s)) next.push(s);
  return next;
}

function rulePin(rule: Obj): string {
  const r = (rule.rule ?? {}) as Record<string, { pin?: string } | undefined>;
  return r.dispatchRuleDirect?.pin ?? r.dispatchRuleIndividual?.pin ?? r.dispatchRuleCallee?.pin ?? '';
}

export class SipState {
  readonly trunks = new Map<string, Obj>();
  readonly rules = new Map<string, Obj>();

  // Trunks ----------------------------------------------------------------------------------
  createTrunk(trunk: Obj): Obj {
    if (trunk.sipTrunkId) throw new TwirpFailure('invalid_argument', 'trunk ID must be empty');
    const next = { ...trunk, sipTrunkId: newId('ST_'), createdAt: nowIso() };
    this.validateTrunk(next);
    this.trunks.set(next.sipTrunkId, next);
    return next;
  }

  listTrunks(req: Obj): Obj[] {
    const ids = strings(req.trunkIds);
    if (ids.length > 0) return ids.map((id) => this.trunks.get(id) ?? {});
    const numbers = strings(req.numbers);
    return sorted(this.trunks, 'sipTrunkId').filter((t) => {
      if (numbers.length === 0) return true;
      const own = strings(t.numbers);
      return own.length === 0 || own.some((n) => numbers.includes(n));
    });
  }

  updateTrunk(req: Obj): Obj {
    const id = String(req.sipTrunkId ?? '');
    const current = this.trunks.get(id);
    if (!current) throw new TwirpFailure('not_found', `SIP trunk ${JSON.stringify(id)} not found`);
    let next: Obj;
    if (req.replace) {
      next = { ...(req.replace as Obj), sipTrunkId: id, createdAt: current.createdAt };
    } else if (req.update) {
      const u = req.update as Obj;
      next = { ...current };
      for (const field of ['numbers', 'allowedAddresses', 'allowedNumbers'])
        next[field] = applyListUpdate(strings(current[field]), u[field], field);
      for (const field of ['authUsername', 'authPassword', 'name', 'metadata', 'media', 'mediaEncryption'])
        if (u[field] !== undefined) next[field] = u[field];
    } else {
      throw new TwirpFailure('invalid_argument', 'missing action: replace or update');
    }
    next.updatedAt = nowIso();
    this.validateTrunk(next);
    this.trunks.set(id, next);
    return next;
  }

  deleteTrunk(req: Obj): Obj {
    const id = String(req.sipTrunkId ?? '');
    const current = this.trunks.get(id);
    this.trunks.delete(id);
    return current ?? { sipTrunkId: id };
  }

  private validateTrunk(trunk: Obj): void {
    const hasAuth = Boolean(trunk.authUsername) && Boolean(trunk.authPassword);
    if (!hasAuth && strings(trunk.allowedAddresses).length === 0 && strings(trunk.numbers).length === 0) {
      throw new TwirpFailure(
        'invalid_argument',
        'for security, one of the fields must be set: AuthUsername+AuthPassword, AllowedAddresses or Numbers',
      );
    }
    const others = [...this.trunks.values()].filter((t) => t.sipTrunkId !== trunk.sipTrunkId);
    for (const other of others) {
      if (strings(trunk.allowedNumbers).length > 0 || strings(other.allowedNumbers).length > 0) continue;
      const a = strings(trunk.numbers);
      const b = strings(other.numbers);
      const shared = a.length === 0 && b.length === 0 ? [] : a.filter((n) => b.includes(n));
      if ((a.length === 0 && b.length === 0) || shared.length > 0) {
        throw new TwirpFailure(
          'invalid_argument',
          `Conflicting inbound SIP Trunks: ${JSON.stringify(printId(trunk.sipTrunkId))} and ${JSON.stringify(printId(other.sipTrunkId))}, using the same number(s) ${a.length ? JSON.stringify(a) : '<any>'} without AllowedNumbers set`,
        );
      }
    }
  }

  // Dispatch rules ---------------------------------------------------------------------------
  createRule(req: Obj): Obj {
    const body = (req.dispatchRule as Obj | undefined) ?? req;
    const { sipDispatchRuleId: _ignored, ...fields } = body;
    const next = { ...fields, sipDispatchRuleId: newId('SDR_'), createdAt: nowIso() };
    this.validateRule(next);
    this.rules.set(next.sipDispatchRuleId, next);
    return next;
  }

  listRules(req: Obj): Obj[] {
    const ids = strings(req.dispatchRuleIds);
    if (ids.length > 0) return ids.map((id) => this.rules.get(id) ?? {});
    const trunkIds = strings(req.trunkIds);
    return sorted(this.rules, 'sipDispatchRuleId').filter((r) => {
      if (trunkIds.length === 0) return true;
      const own = strings(r.trunkIds);
      return own.length === 0 || own.some((id) => trunkIds.includes(id));
    });
  }

  updateRule(req: Obj): Obj {
    const id = String(req.sipDispatchRuleId ?? '');
    const current = this.rules.get(id);
    if (!current) throw new TwirpFailure('not_found', `SIP dispatch rule ${JSON.stringify(id)} not found`);
    let next: Obj;
    if (req.replace) {
      next = { ...(req.replace as Obj), sipDispatchRuleId: id, createdAt: current.createdAt };
    } else if (req.update) {
      const u = req.update as Obj;
      next = { ...current, trunkIds: applyListUpdate(strings(current.trunkIds), u.trunkIds, 'trunk_ids') };
      for (const field of ['rule', 'name', 'metadata', 'media']) if (u[field] !== undefined) next[field] = u[field];
      if (u.attributes) {
        const attributes = { ...((current.attributes as Record<string, string>) ?? {}) };
        for (const [k, v] of Object.entries(u.attributes as Record<string, string>)) {
          if (v === '') delete attributes[k];
          else attributes[k] = v;
        }
        next.attributes = attributes;
      }
    } else {
      throw new TwirpFailure('invalid_argument', 'missing action: replace or update');
    }
    next.updatedAt = nowIso();
    this.validateRule(next);
    this.rules.set(id, next);
    return next;
  }

  deleteRule(req: Obj): Obj {
    const id = String(req.sipDispatchRuleId ?? '');
    const current = this.rules.get(id);
    if (!current) throw new TwirpFailure('not_found', `SIP dispatch rule ${JSON.stringify(id)} not found`);
    this.rules.delete(id);
    return current;
  }

  private validateRule(rule: Obj): void {
    const kind = rule.rule as Obj | undefined;
    if (!kind || !(kind.dispatchRuleDirect || kind.dispatchRuleIndividual || kind.dispatchRuleCallee)) {
      throw new TwirpFailure('invalid_argument', 'missing rule');
    }
    const keys = (r: Obj) => {
      const out: string[] = [];
      const trunks = strings(r.trunkIds).length ? strings(r.trunkIds) : [''];
      const inbound = strings(r.inboundNumbers).length ? strings(r.inboundNumbers) : [''];
      const numbers = strings(r.numbers).length ? strings(r.numbers) : [''];
      for (const t of trunks)
        for (const i of inbound) for (const n of numbers) out.push(JSON.stringify([rulePin(r), t, i, n]));
      return out;
    };
    const mine = new Set(keys(rule));
    for (const other of this.rules.values()) {
      if (other.sipDispatchRuleId === rule.sipDispatchRuleId) continue;
      if (keys(other).some((k) => mine.has(k))) {
        throw new TwirpFailure(
          'invalid_argument',
          `Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule ${JSON.stringify(other.sipDispatchRuleId)} ${JSON.stringify(other.name ?? '')}`,
        );
      }
    }
  }
}

function sorted(map: Map<string, Obj>, idField: string): Obj[] {
  return [...map.values()].sort((a, b) => String(a[idField]).localeCompare(String(b[idField])));
}
