// `backup` and `restore FILE`: the runbook's emergency recovery as code. A backup holds every
// field of every inbound trunk and dispatch rule (file mode 0600: trunk passwords are in it).
// restore recreates what is gone (new ids, everything else identical; rules follow their
// trunks to the new ids) and puts back what was changed. It never deletes.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BACKUP_KIND,
  parseBackup,
  planRestoreRules,
  planRestoreTrunks,
  type SipBackup,
} from '../../shared/sip/backup.ts';
import { AppError } from '../../shared/errors.ts';
import type { DispatchRule, InboundTrunk } from '../../shared/sip/types.ts';
import { EXIT_CODE, type ExitCode } from '../exit_code.ts';
import { requireLiveKit, type SipContext } from './context.ts';
import { LiveKitOps } from './livekit_ops.ts';
import type { Output } from './output.ts';

export async function writeBackup(
  live: { trunks: InboundTrunk[]; rules: DispatchRule[] },
  options: { dir: string; host: string; label?: string; file?: string },
): Promise<string> {
  const takenAt = new Date().toISOString();
  const backup: SipBackup = {
    kind: BACKUP_KIND,
    version: 1,
    takenAt,
    host: options.host,
    trunks: live.trunks,
    rules: live.rules,
  };
  const file =
    options.file ??
    path.join(
      options.dir,
      `sip-backup-${takenAt.replace(/[:.]/g, '-')}${options.label ? `-${options.label}` : ''}.json`,
    );
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(backup, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export async function backupCommand(ctx: SipContext, out: Output, flags: { out?: string }): Promise<ExitCode> {
  const ops = new LiveKitOps(requireLiveKit(ctx.env), ctx.env.LIVEKIT_TIMEOUT_MS);
  const live = await ops.listLive();
  const file = await writeBackup(live, {
    dir: ctx.env.SIP_BACKUP_DIR,
    host: ops.host,
    ...(flags.out ? { file: flags.out } : {}),
  });
  out.stdout(
    `Saved ${live.trunks.length} trunk(s) and ${live.rules.length} dispatch rule(s) to ${file}. Restore with: npm run sip -- restore ${file}`,
  );
  return EXIT_CODE.ok;
}

export interface RestoreResult {
  /** Old id -> new id for everything recreated. */
  recreated: Map<string, string>;
  replaced: string[];
  safetyBackup: string | null;
}

export async function restoreBackup(
  ops: LiveKitOps,
  backup: SipBackup,
  options: { backupDir: string; dryRun?: boolean },
): Promise<RestoreResult> {
  const live = await ops.listLive();
  const { actions: trunkActions, trunkIds } = planRestoreTrunks(backup, live.trunks);
  const result: RestoreResult = { recreated: new Map(), replaced: [], safetyBackup: null };
  const ruleActionsBefore = planRestoreRules(backup, live.rules, trunkIds);
  if (options.dryRun || (trunkActions.length === 0 && ruleActionsBefore.length === 0)) {
    for (const a of trunkActions)
      a.kind === 'recreate_trunk' ? result.recreated.set(a.oldId, '(new)') : result.replaced.push(a.id);
    for (const a of ruleActionsBefore)
      a.kind === 'recreate_rule' ? result.recreated.set(a.oldId, '(new)') : result.replaced.push(a.id);
    return result;
  }
  result.safetyBackup = await writeBackup(live, { dir: options.backupDir, host: ops.host, label: 'before-restore' });
  for (const action of trunkActions) {
    if (action.kind === 'recreate_trunk') {
      const created = await ops.createTrunk({ ...action.trunk, sipTrunkId: '' });
      trunkIds.set(action.oldId, created.sipTrunkId!);
      result.recreated.set(action.oldId, created.sipTrunkId!);
    } else {
      await ops.replaceTrunk(action.id, action.trunk);
      result.replaced.push(action.id);
    }
  }
  const rulesNow = trunkActions.length > 0 ? (await ops.listLive()).rules : live.rules;
  for (const action of planRestoreRules(backup, rulesNow, trunkIds)) {
    if (action.kind === 'recreate_rule') {
      const created = await ops.createRule(action.rule);
      result.recreated.set(action.oldId, created.sipDispatchRuleId!);
    } else {
      await ops.replaceRule(action.id, action.rule);
      result.replaced.push(action.id);
    }
  }
  return result;
}

export async function restoreCommand(
  ctx: SipContext,
  out: Output,
  file: string | undefined,
  flags: { dryRun?: boolean },
): Promise<ExitCode> {
  if (!file)
    throw new AppError(
      'invalid_request',
      'restore needs a backup file: npm run sip -- restore .data/sip-backups/<file>.json',
    );
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AppError('invalid_request', `Cannot read backup ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const backup: SipBackup = parseBackup(raw, file);
  const ops = new LiveKitOps(requireLiveKit(ctx.env), ctx.env.LIVEKIT_TIMEOUT_MS);
  const result = await restoreBackup(ops, backup, { backupDir: ctx.env.SIP_BACKUP_DIR, dryRun: flags.dryRun ?? false });
  if (result.recreated.size === 0 && result.replaced.length === 0) {
    out.stdout(`Nothing to restore: LiveKit already matches ${file}.`);
    return EXIT_CODE.ok;
  }
  const verb = flags.dryRun ? 'would ' : '';
  if (result.safetyBackup) out.stdout(`Backed up the current setup to ${result.safetyBackup}`);
  for (const [oldId, newId] of result.recreated)
    out.stdout(`+ ${verb}recreate ${oldId}${flags.dryRun ? '' : ` as ${newId}`}`);
  for (const id of result.replaced) out.stdout(`~ ${verb}put back ${id} as it was`);
  return EXIT_CODE.ok;
}
