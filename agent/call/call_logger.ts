// The worker logs through the framework's pino logger (`log()` from @livekit/agents), which
// carries the job's context; this is its type, bound per call with a child logger.
import type { log } from '@livekit/agents';

export type CallLogger = ReturnType<typeof log>;
