// Rows most database tests need: an owner with a config answering a number.
import type { TestDatabase } from './harness.ts';
import { type Persona, serviceRolePersona } from './personas.ts';

export const RACHEL = '21m00Tcm4TlvDq8ikWAM';
export const ADAM = 'pNInz6obpgDQGcFmaJgB';
export const SARAH = 'EXAVITQu4vr4xnSDxMaL';

export interface OwnedSetup {
  owner: Persona;
  configId: string;
  numberId: string;
  e164: string;
}

let numberCounter = 0;

/** A fresh E.164 number in the 555 range, unique within the run. */
export function nextNumber(): string {
  numberCounter += 1;
  return `+1555${String(2000000 + numberCounter + Math.floor(Math.random() * 1000) * 1000).padStart(7, '0')}`;
}

/**
 * Gives `owner` a number the way the platform does: provisioning with service-level access
 * (owners cannot add numbers). Returns the new row's id.
 */
export async function provisionNumber(
  db: TestDatabase,
  owner: Persona,
  e164: string,
  options: { agentConfigId?: string | null; label?: string } = {},
): Promise<string> {
  const [row] = await db.as(
    serviceRolePersona(),
    (sql) =>
      sql<{ id: string }[]>`insert into public.phone_numbers (e164, owner_id, agent_config_id, label)
      values (${e164}, ${owner.userId!}, ${options.agentConfigId ?? null}, ${options.label ?? ''}) returning id`,
  );
  return row!.id;
}

/** Creates an owner with one config (Rachel), acting as the owner, answering one provisioned number. */
export async function createOwnedSetup(
  db: TestDatabase,
  options: { email?: string; e164?: string } = {},
): Promise<OwnedSetup> {
  const owner = await db.createUser(options.email);
  const e164 = options.e164 ?? nextNumber();
  const [config] = await db.as(
    owner,
    (sql) =>
      sql<{ id: string }[]>`insert into public.agent_configs (name, voice_id, system_prompt, greeting)
      values ('Front desk', ${RACHEL}, 'You answer for Acme Plumbing.', 'Thanks for calling Acme.') returning id`,
  );
  const numberId = await provisionNumber(db, owner, e164, { agentConfigId: config!.id, label: 'Main line' });
  return { owner, configId: config!.id, numberId, e164 };
}
