// The database connection of an operator command (voices, functions:token, db:migrate, the dev
// stack's set-up): a bounded connect and a server-side statement_timeout, so a database that
// accepts and then stalls ends the command with an error instead of holding the terminal.
import postgres from 'postgres';

export interface OperatorConnectionOptions {
  /** Opening the connection (TCP, start-up, auth), in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Each statement, enforced by the server, in ms. Default 30000 (migrations take longer: pass more). */
  statementTimeoutMs?: number;
  /** Pool size. Default 1. */
  max?: number;
}

export function operatorConnection(url: string, options: OperatorConnectionOptions = {}): postgres.Sql {
  return postgres(url, {
    max: options.max ?? 1,
    onnotice: () => {},
    connect_timeout: Math.ceil((options.connectTimeoutMs ?? 5_000) / 1000),
    idle_timeout: 5,
    connection: { statement_timeout: options.statementTimeoutMs ?? 30_000 },
  });
}
