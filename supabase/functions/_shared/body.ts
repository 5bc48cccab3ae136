// Request bodies: size-capped whatever their framing (a declared Content-Length or the bytes
// actually read, chunked included), read under a deadline (a stalled or trickling body is 408),
// JSON, validated with zod. Every failure is an AppError whose
// message a frontend can show as it is ("text: text must be at most 500 characters").
import type { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { Deadline } from '../../../shared/deadline.ts';

/** Default cap on a JSON body (bytes). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
/** Default time for the whole body to arrive (ms). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export interface ParseBodyOptions {
  /** Larger bodies get 413 payload_too_large. Default DEFAULT_MAX_BODY_BYTES. */
  maxBytes?: number;
  /** Treat an empty body as `{}`. Default false. */
  allowEmpty?: boolean;
  /** The whole body must arrive within this; else 408 request_timeout. Default DEFAULT_BODY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export async function parseJsonBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  options: ParseBodyOptions = {},
): Promise<z.infer<S>> {
  return validateBody(await readJsonObject(req, options), schema);
}

/**
 * The body as a JSON object, not yet validated: for a caller that needs the raw value to explain
 * a validation error (reading the body once; `req.clone()` would read the request's signal).
 */
export async function readJsonObject(req: Request, options: ParseBodyOptions = {}): Promise<Record<string, unknown>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const text = await readCapped(req, maxBytes, options.timeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  let value: unknown;
  if (text.trim() === '') {
    if (!options.allowEmpty) throw new AppError('invalid_request', 'The request body must be a JSON object.');
    value = {};
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError('invalid_request', 'The request body is not valid JSON.');
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('invalid_request', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** `value` checked against `schema`; an invalid_request AppError listing each problem otherwise. */
export function validateBody<S extends z.ZodType>(value: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new AppError('invalid_request', formatIssues(parsed.error.issues));
}

/** "field: message; other: message", the way the README documents validation errors. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path && !issue.message.startsWith(`${path} `) ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

async function readCapped(req: Request, maxBytes: number, timeoutMs: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const deadline = new Deadline(timeoutMs);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (let chunk = await deadline.race(reader.read()); !chunk.done; chunk = await deadline.race(reader.read())) {
      total += chunk.value.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk.value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (deadline.expired)
      throw new AppError(
        'request_timeout',
        `The request body did not arrive within ${Math.round(timeoutMs / 1000)} s.`,
        { cause: error },
      );
    throw error;
  } finally {
    deadline.clear();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
}
