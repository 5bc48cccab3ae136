// Preloaded by the npm scripts (`node --import ./scripts/env_file.ts`): the project's .env, when
// there is one. Node's own --env-file-if-exists does the same but prints ".env not found.
// Continuing without it." on every command run without one. As with --env-file, a variable
// already set in the environment wins over the file.
try {
  process.loadEnvFile('.env');
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
