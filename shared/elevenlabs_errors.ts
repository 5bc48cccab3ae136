// ElevenLabs error bodies, classified once for every caller (voice-preview, the catalog sync,
// the worker). The body is {"detail": {...}} with `code` (current docs) and/or `status` (legacy);
// validation errors carry a FastAPI list instead. voice_not_found arrives as 400 or 404.
import { AppError } from './errors.ts';

export type ElevenLabsErrorKind =
  | 'voice_not_found'
  | 'invalid_api_key'
  | 'quota_exceeded'
  | 'rate_limited'
  | 'invalid_request'
  | 'server_error'
  | 'unexpected';

export interface ElevenLabsError {
  kind: ElevenLabsErrorKind;
  /** HTTP status ElevenLabs answered with. */
  status: number;
  /** `detail.code ?? detail.status`, when the body had one. */
  providerCode: string | null;
  /** ElevenLabs' own message, for logs (it may echo ids, never keys). */
  providerMessage: string;
}

const VOICE_NOT_FOUND = new Set(['voice_not_found', 'voice_does_not_exist']);
const RATE_LIMITED = new Set([
  'too_many_concurrent_requests',
  'concurrent_limit_exceeded',
  'system_busy',
  'rate_limit_exceeded',
]);

/** Classifies a non-2xx ElevenLabs answer from its status and raw body text. */
export function classifyElevenLabsError(status: number, bodyText: string): ElevenLabsError {
  const detail = parseDetail(bodyText);
  const providerCode = detail?.code ?? detail?.status ?? null;
  const providerMessage = detail?.message ?? bodyText.slice(0, 300);
  const kind = kindOf(status, providerCode, detail?.validation ?? false);
  return { kind, status, providerCode, providerMessage };
}

function kindOf(status: number, code: string | null, validation: boolean): ElevenLabsErrorKind {
  if (code && VOICE_NOT_FOUND.has(code)) return 'voice_not_found';
  if (code === 'invalid_api_key') return 'invalid_api_key';
  if (code === 'quota_exceeded') return 'quota_exceeded';
  if ((code && RATE_LIMITED.has(code)) || status === 429) return 'rate_limited';
  if (status === 401) return 'invalid_api_key';
  if (status >= 500) return 'server_error';
  if (validation || status === 400 || status === 422) return 'invalid_request';
  return 'unexpected';
}

interface Detail {
  code?: string;
  status?: string;
  message?: string;
  validation?: boolean;
}

function parseDetail(bodyText: string): Detail | null {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object' || !('detail' in body)) return null;
  const detail = (body as { detail: unknown }).detail;
  if (Array.isArray(detail)) {
    const first = detail[0] as { msg?: unknown; loc?: unknown } | undefined;
    const where = Array.isArray(first?.loc) ? first.loc.join('.') : '';
    return { validation: true, message: `${where} ${String(first?.msg ?? 'invalid request')}`.trim() };
  }
  if (!detail || typeof detail !== 'object') return typeof detail === 'string' ? { message: detail } : null;
  const d = detail as Record<string, unknown>;
  return {
    code: typeof d.code === 'string' ? d.code : undefined,
    status: typeof d.status === 'string' ? d.status : undefined,
    message: typeof d.message === 'string' ? d.message : undefined,
  };
}

/**
 * The AppError a caller of ours sees for an ElevenLabs failure: messages say what happened and
 * who can fix it, never the provider's raw text (it may name account details).
 */
export function elevenLabsAppError(error: ElevenLabsError, voiceId?: string): AppError {
  const options = { cause: error, retryable: false };
  switch (error.kind) {
    case 'voice_not_found':
      return new AppError(
        'voice_not_found',
        `${`ElevenLabs does not know the voice ${voiceId ?? ''}`.trimEnd()}. Pick another voice from the catalog.`,
        options,
      );
    case 'invalid_api_key':
      return new AppError(
        'tts_auth_failed',
        'The voice service rejected our credentials. An operator must fix ELEVEN_API_KEY.',
        options,
      );
    case 'quota_exceeded':
      return new AppError(
        'tts_quota_exceeded',
        'The voice service account is out of credits. Try again later or ask an operator to top it up.',
        options,
      );
    case 'rate_limited':
      return new AppError('tts_rate_limited', 'The voice service is busy. Try again in a few seconds.', {
        ...options,
        retryable: true,
      });
    case 'server_error':
      return new AppError('tts_unavailable', 'The voice service had an error. Try again in a moment.', {
        ...options,
        retryable: true,
      });
    case 'invalid_request':
      return new AppError(
        'tts_unavailable',
        'The voice service refused the request. Try a different text, model or format.',
        options,
      );
    default:
      return new AppError(
        'tts_unavailable',
        `The voice service answered with an unexpected status ${error.status}.`,
        options,
      );
  }
}
