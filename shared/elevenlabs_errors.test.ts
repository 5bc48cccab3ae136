import { describe, expect, it } from 'vitest';
import { classifyElevenLabsError, elevenLabsAppError } from './elevenlabs_errors.ts';
import { ERROR_STATUS } from './errors.ts';

describe('classifyElevenLabsError', () => {
  it.each([
    [
      404,
      '{"detail":{"status":"voice_not_found","message":"A voice with the voice_id x was not found."}}',
      'voice_not_found',
      'voice_not_found',
    ],
    [400, '{"detail":{"status":"voice_not_found","message":"..."}}', 'voice_not_found', 'voice_not_found'],
    [400, '{"detail":{"status":"voice_does_not_exist"}}', 'voice_not_found', 'voice_not_found'],
    [401, '{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}', 'invalid_api_key', 'tts_auth_failed'],
    [401, '{"detail":{"status":"quota_exceeded"}}', 'quota_exceeded', 'tts_quota_exceeded'],
    [
      429,
      '{"detail":{"status":"too_many_concurrent_requests","code":"concurrent_limit_exceeded"}}',
      'rate_limited',
      'tts_rate_limited',
    ],
    [429, 'not json', 'rate_limited', 'tts_rate_limited'],
    [
      422,
      '{"detail":[{"loc":["body","text"],"msg":"Field required","type":"missing"}]}',
      'invalid_request',
      'tts_unavailable',
    ],
    [503, '', 'server_error', 'tts_unavailable'],
    [401, '', 'invalid_api_key', 'tts_auth_failed'],
  ])('%i %s -> %s', (status, body, kind, code) => {
    const classified = classifyElevenLabsError(status, body);
    expect(classified.kind).toBe(kind);
    const error = elevenLabsAppError(classified, 'voice123');
    expect(error.code).toBe(code);
    expect(ERROR_STATUS[error.code]).toBeGreaterThanOrEqual(400);
  });

  it('prefers detail.code over the legacy detail.status', () => {
    expect(
      classifyElevenLabsError(400, '{"detail":{"code":"voice_not_found","status":"invalid_parameters"}}').providerCode,
    ).toBe('voice_not_found');
  });
});
