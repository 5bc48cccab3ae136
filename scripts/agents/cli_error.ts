// The one failure shape of `npm run agents`: what to print and which exit code to leave with.
// Database refusals are not wrapped in it; they are printed as the database wrote them.
import type { ExitCode } from '../exit_code.ts';

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = exitCode;
  }
}
