// Exit codes for every operator command. The doctor's are the severity of what it found
// (0 ok, 1 warnings or a stage it could not check, 2 failures); usage mistakes share 2. Config
// and reachability problems stop a command before it can tell anything, so they get their own codes.
export const EXIT_CODE = {
  ok: 0,
  /** Problems found, none fatal (doctor: warnings only, or a stage that could not be checked). */
  warnings: 1,
  /** Failures found, or an operation LiveKit refused. */
  failures: 2,
  /** Unknown command or bad flags. */
  usage: 2,
  /** Missing or wrong configuration: env vars, credentials, config files. */
  config: 3,
  /** A service did not answer: network error or timeout. */
  unreachable: 4,
} as const;
export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];
