// Services `npm run dev` starts after the database: each gets the database URL and the
// environment, and either starts (returning how to reach it) or says what to set to enable it.
import { DISPATCHER_DEV_SERVICE } from './dispatcher/dev_service.ts';
import type { DevService } from './dev_service.ts';
import { FUNCTIONS_DEV_SERVICE } from './functions/dev_service.ts';
import { WORKER_DEV_SERVICE } from './worker/dev_service.ts';

export type { DevService, DevServiceContext, RunningService } from './dev_service.ts';

/** Registered in start order. */
export const DEV_SERVICES: DevService[] = [FUNCTIONS_DEV_SERVICE, DISPATCHER_DEV_SERVICE, WORKER_DEV_SERVICE];
