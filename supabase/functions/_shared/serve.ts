// The frame every function runs in: CORS preflight before auth, one method check, one place
// that turns errors into {"error": {"code", "message"}}, CORS headers on every response, and
// one access-log line per request. A function's index.ts is just:
//   export default { fetch: defineFunction({ name, methods, handle }) };
import { AppError } from '../../../shared/errors.ts';
import { corsHeaders, preflightResponse, withCorsHeaders } from './cors.ts';
import { toErrorResponse } from './http.ts';
import { log, type Logger } from './log.ts';

export interface RequestContext {
  requestId: string;
  log: Logger;
}

export interface FunctionSpec {
  /** Folder name, e.g. 'voice-preview' (used in logs). */
  name: string;
  /** Methods the function answers besides OPTIONS, e.g. ['POST']. */
  methods: readonly string[];
  /** Access-Control-Allow-Origin. Default '*'. */
  allowOrigin?: string;
  handle(req: Request, context: RequestContext): Promise<Response>;
}

export type FetchHandler = (req: Request) => Promise<Response>;

export function defineFunction(spec: FunctionSpec): FetchHandler {
  const allowOrigin = spec.allowOrigin ?? '*';
  const allow = [...spec.methods, 'OPTIONS'].join(', ');
  return async (req) => {
    if (req.method === 'OPTIONS') return preflightResponse(allowOrigin);
    const startedAt = performance.now();
    const requestId = req.headers.get('x-request-id') ?? crypto.randomUUID();
    const context: RequestContext = { requestId, log: log.child({ fn: spec.name, requestId }) };
    let response: Response;
    try {
      if (!spec.methods.includes(req.method)) {
        throw new AppError(
          'method_not_allowed',
          `${spec.name} accepts ${spec.methods.join(' or ')}, not ${req.method}.`,
        );
      }
      response = await spec.handle(req, context);
    } catch (error) {
      response = toErrorResponse(error, { fn: spec.name, requestId });
    }
    response = withHeaders(response, {
      ...corsHeaders(allowOrigin),
      'x-request-id': requestId,
      ...(response.status === 405 ? { allow } : {}),
    });
    context.log.info(
      { method: req.method, status: response.status, ms: Math.round(performance.now() - startedAt) },
      'request',
    );
    return response;
  };
}

/** Sets headers in place, or on a copy when the response's headers are immutable (a fetch() result). */
function withHeaders(response: Response, extra: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(extra)) response.headers.set(name, value);
    return response;
  } catch {
    const copy = withCorsHeaders(response);
    for (const [name, value] of Object.entries(extra)) copy.headers.set(name, value);
    return copy;
  }
}
