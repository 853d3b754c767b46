import { ConfigError } from '../functions/config/service-config';

/** How a command-line entry ends on failure: one clear line, exit code 1. */
export function exitWithError(error: unknown): never {
  const message =
    error instanceof ConfigError
      ? `Configuration error: ${error.message}`
      : `Failed: ${error instanceof Error ? error.message : String(error)}`;
  console.error(message);
  process.exit(1);
}
