// CORS for browser callers: the same headers as supabase-js's `corsHeaders` (2.119.1) on every
// response, errors and streams included, and OPTIONS preflights answered before any auth.
export const CORS_ALLOW_HEADERS =
  'authorization, x-client-info, apikey, content-type, x-retry-count, traceparent, tracestate, baggage';
export const CORS_ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
/** Headers a browser script may read from our responses. */
export const CORS_EXPOSE_HEADERS = 'x-cache, retry-after, x-request-id, content-length';

export function corsHeaders(allowOrigin = '*'): Record<string, string> {
  return {
    'access-control-allow-origin': allowOrigin,
    'access-control-allow-headers': CORS_ALLOW_HEADERS,
    'access-control-allow-methods': CORS_ALLOW_METHODS,
    'access-control-expose-headers': CORS_EXPOSE_HEADERS,
    'access-control-max-age': '86400',
    vary: 'origin',
  };
}

export function preflightResponse(allowOrigin = '*'): Response {
  return new Response(null, { status: 204, headers: corsHeaders(allowOrigin) });
}

/** Adds the CORS headers to a response (a copy when its headers are immutable). */
export function withCorsHeaders(response: Response, allowOrigin = '*'): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(corsHeaders(allowOrigin))) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
