// Services `npm run dev` starts after the database: each gets the database URL and the
// environment, and either starts (returning how to reach it) or says what to set to enable it.
import { WORKER_DEV_SERVICE } from '../agent/dev_service.ts';
import { FUNCTIONS_DEV_SERVICE } from './functions/dev_service.ts';

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

/** Registered in start order. */
export const DEV_SERVICES: DevService[] = [FUNCTIONS_DEV_SERVICE, WORKER_DEV_SERVICE];
