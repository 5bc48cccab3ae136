// What a failed Postgres call means, for every runtime and driver (postgres.js in Node and Deno,
// node-postgres): the one classifier the worker, the functions and the CLI map to their errors.
// Only the database's own answer to a statement is final; everything else may succeed if tried
// again. Runtime-neutral: it reads `code` and `name`, nothing else.
import { DeadlineExceeded } from './deadline.ts';

export type PostgresFailure =
  /** No connection, a lost one, or a server shutting down or refusing connections. */
  | 'unreachable'
  /** The statement was cancelled (statement_timeout), or our own deadline passed first. */
  | 'timeout'
  /** A transient conflict or shortage: serialization failure, deadlock, lock not available, out of resources. */
  | 'busy'
  /** The database's answer to this statement: the same statement would fail the same way. */
  | 'refused';

/** Socket errors and postgres.js connection errors (its `code`). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);
/** Deno's own network error classes, when an error comes from Deno rather than node:net. */
const CONNECTION_NAMES = new Set([
  'ConnectionRefused',
  'ConnectionReset',
  'ConnectionAborted',
  'BrokenPipe',
  'TimedOut',
  'NotConnected',
]);
/** SQLSTATE 08 connection exception, 57P0x shutting down or cannot connect now, 53300 too many connections. */
const UNREACHABLE_SQLSTATE = /^(08...|57P0.|53300)$/;
/** SQLSTATE 40001 serialization failure, 40P01 deadlock, 55P03 lock not available, 53 insufficient resources. */
const BUSY_SQLSTATE = /^(40001|40P01|55P03|53...)$/;

export function classifyPostgresError(error: unknown): PostgresFailure {
  if (error instanceof DeadlineExceeded) return 'timeout';
  if (!error || typeof error !== 'object') return 'refused';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code) || UNREACHABLE_SQLSTATE.test(code)) return 'unreachable';
    if (code === '57014') return 'timeout';
    if (BUSY_SQLSTATE.test(code)) return 'busy';
  }
  if (name === 'TimeoutError') return 'timeout';
  return typeof name === 'string' && CONNECTION_NAMES.has(name) ? 'unreachable' : 'refused';
}

/** Whether trying the same statement again may succeed. */
export function isRetryablePostgresError(error: unknown): boolean {
  return classifyPostgresError(error) !== 'refused';
}
