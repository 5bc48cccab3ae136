// What `npm run dev` expects of a service it starts after the database. Kept apart from the
// registry (dev_services.ts) so services depend on this contract, never on the list of services.

export interface DevServiceContext {
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
}

export interface RunningService {
  /** One line: where it listens or what it does. */
  summary: string;
  stop(): Promise<void>;
}

export interface DevService {
  name: string;
  start(context: DevServiceContext): Promise<RunningService | { skipped: string }>;
}
