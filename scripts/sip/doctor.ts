// `doctor` and `snapshot`: read everything on the call path at once, diagnose, report.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { styleText } from 'node:util';
import { resolveAgentName } from '../../shared/agent_name.ts';
import { diagnose } from '../../shared/sip/diagnose/index.ts';
import { buildReport, renderReport, type SipReport } from '../../shared/sip/report.ts';
import { parseSnapshot } from '../../shared/sip/snapshot.ts';
import type { SipSnapshot } from '../../shared/sip/types.ts';
import { AppError } from '../../shared/errors.ts';
import { EXIT_CODE, type ExitCode } from '../exit_code.ts';
import { collectSnapshot } from '../../shared/sip/collect.ts';
import { databaseReader, loadTelephonyConfig, PROJECT_ROOT, requireLiveKit, type SipContext } from './context.ts';
import type { Output } from './output.ts';

export async function takeSnapshot(ctx: SipContext): Promise<SipSnapshot> {
  const livekit = requireLiveKit(ctx.env);
  const config = await loadTelephonyConfig(ctx.env);
  const timeoutMs = ctx.env.LIVEKIT_TIMEOUT_MS;
  const readDatabase = databaseReader(ctx.env, timeoutMs);
  return collectSnapshot({
    livekit,
    timeoutMs,
    workerUrl: ctx.env.WORKER_HEALTH_URL,
    ...(readDatabase
      ? { readDatabase }
      : { databaseMissing: 'DATABASE_URL is not set: export the database URL (npm run dev prints it)' }),
    providerKeys: ctx.providerKeys,
    expectedAgentName: resolveAgentName(ctx.env.AGENT_NAME),
    desired: {
      trunkName: config.trunk.name,
      ruleName: config.dispatchRule.name,
      roomPrefix: config.dispatchRule.roomPrefix,
    },
  });
}

export function exitCodeFor(report: SipReport): ExitCode {
  if (report.result === 'fail') return EXIT_CODE.failures;
  // A stage that could not be checked is not "all clear": scripts that wait for exit 0 must not pass.
  if (report.result === 'warn' || report.unknownStages.length > 0) return EXIT_CODE.warnings;
  return EXIT_CODE.ok;
}

export async function doctor(
  ctx: SipContext,
  out: Output,
  flags: { json?: boolean; snapshot?: string },
): Promise<ExitCode> {
  const snapshot = flags.snapshot ? await readSnapshotFile(flags.snapshot) : await takeSnapshot(ctx);
  const report = buildReport(snapshot, diagnose(snapshot));
  out.stdout(
    flags.json
      ? JSON.stringify(report, null, 2)
      : renderReport(report, out.colour ? { paint: (style, text) => styleText(style, text) } : {}),
  );
  return exitCodeFor(report);
}

export async function snapshotCommand(ctx: SipContext, out: Output, flags: { out?: string }): Promise<ExitCode> {
  const snapshot = await takeSnapshot(ctx);
  const file =
    flags.out ??
    path.join(PROJECT_ROOT, '.data', 'sip-snapshots', `snapshot-${snapshot.takenAt.replace(/[:.]/g, '-')}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
  const unknown = [snapshot.livekit, snapshot.database, snapshot.worker].filter((p) => p.status === 'unknown').length;
  out.stdout(
    `Saved snapshot to ${file}${unknown ? ` (${unknown} part(s) could not be read)` : ''}. Diagnose it with: npm run sip -- doctor --snapshot ${file}`,
  );
  return EXIT_CODE.ok;
}

async function readSnapshotFile(file: string): Promise<SipSnapshot> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AppError('invalid_request', `Cannot read snapshot ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseSnapshot(raw, file);
}
