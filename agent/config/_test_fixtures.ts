// Test data for the config-source tests: an owner with one agent config answering one number,
// arranged with the superuser connection (arranging only; nothing here asserts access).
import type { TestDatabase } from '../../test/db/harness.ts';
import type { ConfigLogger } from './config_log.ts';

export const RACHEL = '21m00Tcm4TlvDq8ikWAM';
export const ADAM = 'pNInz6obpgDQGcFmaJgB';

export interface SeededAgent {
  ownerId: string;
  configId: string;
  phoneNumberId: string;
  e164: string;
}

const used = new Set<string>();

/** A fresh +1 555 xxx xxxx number per call, so tests in one file never share a number. */
export function testNumber(): string {
  for (;;) {
    const e164 = `+1555${Math.floor(1_000_000 + Math.random() * 9_000_000)}`;
    if (!used.has(e164)) {
      used.add(e164);
      return e164;
    }
  }
}

export interface SeedAgentOptions {
  e164?: string;
  prompt?: string;
  voiceId?: string;
  /** Default 'Hello!'. Empty: the agent waits for the caller. */
  greeting?: string;
  transferNumber?: string | null;
  /**
   * take_messages and post_call_analysis. Default false here (the database's default is true), so
   * a test of something else sees only its own tools and LLM requests; call-outcome tests turn them on.
   */
  outcomes?: boolean;
}

export async function seedAgent(db: TestDatabase, options: SeedAgentOptions = {}): Promise<SeededAgent> {
  const owner = await db.createUser();
  const ownerId = owner.userId!;
  const e164 = options.e164 ?? testNumber();
  const [config] = await db.sql<{ id: string }[]>`
    insert into public.agent_configs (owner_id, name, voice_id, system_prompt, greeting, transfer_number, take_messages, post_call_analysis)
    values (${ownerId}, 'Front desk', ${options.voiceId ?? RACHEL}, ${options.prompt ?? 'You answer the phone.'},
            ${options.greeting ?? 'Hello!'}, ${options.transferNumber ?? null}, ${options.outcomes ?? false}, ${options.outcomes ?? false})
    returning id`;
  const [phone] = await db.sql<{ id: string }[]>`
    insert into public.phone_numbers (e164, owner_id, agent_config_id, label)
    values (${e164}, ${ownerId}, ${config!.id}, 'Main line')
    returning id`;
  return { ownerId, configId: config!.id, phoneNumberId: phone!.id, e164 };
}

/** Resolves when `predicate` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function eventually<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface LogEntry {
  level: keyof ConfigLogger;
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps what it is given, for asserting on applied-change logs. */
export function recordingLogger(): ConfigLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: keyof ConfigLogger) => (fields: Record<string, unknown>, message: string) => {
    entries.push({ level, fields, message });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
