// One error shape for every runtime: the HTTP edge maps `code` to a status, the CLI to an exit
// code, the worker to a fallback. Classify at the I/O boundary, rethrow what is classified.

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  invalid_config: 500,
  internal: 500,
  upstream_error: 502,
  unavailable: 503,
  timeout: 504,
  // Voices and the TTS provider (voice-preview, voices-sync).
  voice_not_found: 404,
  voice_disabled: 422,
  tts_rate_limited: 429,
  tts_auth_failed: 502,
  tts_unavailable: 502,
  tts_quota_exceeded: 503,
  tts_unreachable: 503,
  tts_timeout: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export interface AppErrorOptions {
  cause?: unknown;
  /** Whether retrying the same operation may succeed. Default false. */
  retryable?: boolean;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** 5xx, 408 and 429 are transient; every other 4xx is the caller's to fix. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * The message of anything thrown or emitted as an error, for logs and the calls row. Provider
 * error events carry plain objects with a `message`, not always Error instances.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}
