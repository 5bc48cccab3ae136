// Exit codes for every operator command, distinct per meaning so a script can tell them apart.
// The doctor's are the severity of what it found (0 ok, 1 warnings or a stage it could not
// check, 2 failures); a usage mistake is 64 (EX_USAGE, as sysexits.h has it); configuration
// and reachability problems stop a command before it can tell anything, so they get their own.
import { AppError, type ErrorCode } from '../shared/errors.ts';

export const EXIT_CODE = {
  ok: 0,
  /** Problems found, none fatal (doctor: warnings only, or a stage that could not be checked). */
  warnings: 1,
  /** Failures found, an operation refused, or what was asked for does not exist. */
  failures: 2,
  /** Missing or wrong configuration: env vars, credentials, config files. */
  config: 3,
  /** A service did not answer: network error or timeout. */
  unreachable: 4,
  /** Unknown command, bad flags or arguments. */
  usage: 64,
} as const;
export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];

/** The one map from the error taxonomy (shared/errors.ts) to exit codes; HTTP has ERROR_STATUS. */
const EXIT_FOR: Partial<Record<ErrorCode, ExitCode>> = {
  invalid_request: EXIT_CODE.usage,
  invalid_config: EXIT_CODE.config,
  unauthorized: EXIT_CODE.config,
  forbidden: EXIT_CODE.config,
  tts_auth_failed: EXIT_CODE.config,
  unavailable: EXIT_CODE.unreachable,
  timeout: EXIT_CODE.unreachable,
  tts_unreachable: EXIT_CODE.unreachable,
  tts_timeout: EXIT_CODE.unreachable,
};

/** Exit code for a classified error; anything else is a failure. */
export function exitCodeFor(error: unknown): ExitCode {
  return error instanceof AppError ? (EXIT_FOR[error.code] ?? EXIT_CODE.failures) : EXIT_CODE.failures;
}
