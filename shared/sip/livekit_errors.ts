// One line with the fix for every way a LiveKit API call fails: wrong URL, bad credentials,
// unreachable host, timeout, or a refusal with LiveKit's own reason. Reads only the error's
// shape (the SDK's ServerError has status/code/message), so both runtimes share it.

export type LiveKitFailureKind = 'config' | 'unauthorized' | 'unreachable' | 'timeout' | 'refused';

export interface LiveKitFailure {
  kind: LiveKitFailureKind;
  /** One line: what happened and what to do. */
  line: string;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  code?: unknown;
  cause?: unknown;
}

const causeCode = (error: ErrorLike): string | undefined => {
  const cause = error.cause as ErrorLike | undefined;
  const code = cause?.code ?? (cause?.cause as ErrorLike | undefined)?.code ?? cause?.message;
  return typeof code === 'string' ? code : undefined;
};

export function classifyLiveKitError(
  error: unknown,
  options: { host: string; timeoutMs: number; action?: string },
): LiveKitFailure {
  const e = (error ?? {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 300) : String(error);
  const action = options.action ?? 'call the API';
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.name === 'DeadlineExceeded' ||
    /timed? ?out|aborted due to timeout/i.test(message)
  ) {
    return {
      kind: 'timeout',
      line: `LiveKit at ${options.host} did not answer within ${options.timeoutMs} ms: check the network and LIVEKIT_URL, or raise LIVEKIT_TIMEOUT_MS.`,
    };
  }
  if (typeof e.status === 'number') {
    if (e.status === 401 || e.code === 'unauthenticated') {
      return {
        kind: 'unauthorized',
        line: `LiveKit at ${options.host} refused the credentials (401: ${message}): check that LIVEKIT_API_KEY and LIVEKIT_API_SECRET belong to this project and have SIP admin rights.`,
      };
    }
    if (e.code === undefined || e.code === 'bad_route') {
      return {
        kind: 'config',
        line: `${options.host} did not answer like a LiveKit server (HTTP ${e.status}): check LIVEKIT_URL (https://<project>.livekit.cloud, or http://127.0.0.1:7880 for a local server).`,
      };
    }
    if (e.status >= 500) {
      return {
        kind: 'unreachable',
        line: `LiveKit at ${options.host} failed to ${action} (HTTP ${e.status} ${String(e.code)}: ${message}): try again; if it persists, check LiveKit's status.`,
      };
    }
    return { kind: 'refused', line: `LiveKit refused to ${action} (${String(e.code)}: ${message}).` };
  }
  const code = causeCode(e);
  if (code || /fetch failed|ECONNREFUSED|ENOTFOUND|network|connection/i.test(message)) {
    return {
      kind: 'unreachable',
      line: `Cannot reach LiveKit at ${options.host} (${code ?? message}): check LIVEKIT_URL and that the server is up.`,
    };
  }
  if (/Invalid URL|Failed to parse URL/i.test(message)) {
    return {
      kind: 'config',
      line: `LIVEKIT_URL ${JSON.stringify(options.host)} is not a URL: use https://<project>.livekit.cloud or http://127.0.0.1:7880.`,
    };
  }
  return { kind: 'refused', line: `LiveKit call failed (${message}).` };
}
