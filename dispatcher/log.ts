// The dispatcher's one logger (pino, JSON lines on stdout). Never log a secret, a signature or a
// payload: deliveries are identified by id.
import { Logger as QueueLogger } from 'graphile-worker';
import pino from 'pino';

export type Log = pino.Logger;

export function createLog(level: string): Log {
  return pino({ level, base: { service: 'dispatcher' } });
}

/** graphile-worker's log lines, through ours (its debug chatter stays at debug). */
export function queueLogger(log: Log): QueueLogger {
  return new QueueLogger((scope) => (level, message, meta) => {
    const bound = { queue: scope.label, workerId: scope.workerId, jobId: scope.jobId, ...(meta as object | undefined) };
    if (level === 'error') log.error(bound, message);
    else if (level === 'warning') log.warn(bound, message);
    else if (level === 'info') log.info(bound, message);
    else log.debug(bound, message);
  });
}
