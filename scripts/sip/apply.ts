// `plan` and `apply`: desired (telephony.json + env) vs live LiveKit. apply saves a backup first,
// creates what is missing, updates what differs by read-modify-write (every unmanaged field is
// kept), deletes only with --prune, and is idempotent.
import type { DesiredState } from '../../shared/sip/desired.ts';
import {
  desiredRuleFor,
  MANAGED_RULE_FIELDS,
  MANAGED_TRUNK_FIELDS,
  mergeManaged,
  type Plan,
  planChanges,
  renderPlan,
} from '../../shared/sip/plan.ts';
import { EXIT_CODE, type ExitCode } from '../exit_code.ts';
import { writeBackup } from './backup.ts';
import { loadDesired, requireLiveKit, type SipContext } from './context.ts';
import { LiveKitOps } from './livekit_ops.ts';
import type { Output } from './output.ts';

export function makePlan(desired: DesiredState, live: Parameters<typeof planChanges>[1], prune: boolean): Plan {
  return planChanges(desired, live, { prune });
}

export async function planCommand(
  ctx: SipContext,
  out: Output,
  flags: { prune?: boolean; json?: boolean },
): Promise<ExitCode> {
  const desired = await loadDesired(ctx.env);
  const ops = new LiveKitOps(requireLiveKit(ctx.env), ctx.env.LIVEKIT_TIMEOUT_MS);
  const plan = makePlan(desired, await ops.listLive(), flags.prune ?? false);
  out.stdout(flags.json ? JSON.stringify(plan, null, 2) : renderPlan(plan));
  return EXIT_CODE.ok;
}

export interface ApplyResult {
  plan: Plan;
  backupFile: string | null;
  trunkId: string;
  ruleId: string;
}

export async function applyDesired(
  ops: LiveKitOps,
  desired: DesiredState,
  options: { prune: boolean; backupDir: string },
): Promise<ApplyResult> {
  const live = await ops.listLive();
  const plan = makePlan(desired, live, options.prune);
  if (plan.actions.length === 0) return { plan, backupFile: null, trunkId: plan.trunkId!, ruleId: plan.ruleId! };
  const backupFile = await writeBackup(live, { dir: options.backupDir, host: ops.host, label: 'before-apply' });

  let trunkId = plan.trunkId;
  let ruleId = plan.ruleId;
  for (const action of plan.actions) {
    switch (action.kind) {
      case 'delete_rule':
        await ops.deleteRule(action.id);
        break;
      case 'delete_trunk':
        await ops.deleteTrunk(action.id);
        break;
      case 'create_trunk':
        trunkId = (await ops.createTrunk(desired.trunk)).sipTrunkId ?? null;
        break;
      case 'update_trunk': {
        const current = await ops.getTrunk(action.id);
        await ops.replaceTrunk(action.id, mergeManaged(current, desired.trunk, MANAGED_TRUNK_FIELDS));
        break;
      }
      case 'create_rule':
        ruleId = (await ops.createRule(desiredRuleFor(desired, trunkId!))).sipDispatchRuleId ?? null;
        break;
      case 'update_rule': {
        const current = await ops.getRule(action.id);
        await ops.replaceRule(action.id, mergeManaged(current, desiredRuleFor(desired, trunkId!), MANAGED_RULE_FIELDS));
        break;
      }
    }
  }
  return { plan, backupFile, trunkId: trunkId!, ruleId: ruleId! };
}

export async function applyCommand(ctx: SipContext, out: Output, flags: { prune?: boolean }): Promise<ExitCode> {
  const desired = await loadDesired(ctx.env);
  const ops = new LiveKitOps(requireLiveKit(ctx.env), ctx.env.LIVEKIT_TIMEOUT_MS);
  const result = await applyDesired(ops, desired, { prune: flags.prune ?? false, backupDir: ctx.env.SIP_BACKUP_DIR });
  if (result.plan.actions.length === 0) {
    out.stdout(renderPlan(result.plan));
    return EXIT_CODE.ok;
  }
  out.stdout(`Backed up the previous setup to ${result.backupFile}`);
  out.stdout(renderPlan(result.plan));
  out.stdout(`Applied: trunk ${result.trunkId}, dispatch rule ${result.ruleId}. Check with: npm run sip -- doctor`);
  return EXIT_CODE.ok;
}
