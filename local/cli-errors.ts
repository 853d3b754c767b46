/** A refusal the operator can act on (bad argument, missing confirmation): one line, exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * How a command-line entry ends on failure: one clear line, exit code 1. A ConfigError (service-config)
 * is recognised by its name, so this module loads no configuration code.
 */
export function exitWithError(error: unknown): never {
  const message =
    error instanceof Error && error.name === 'ConfigError'
      ? `Configuration error: ${error.message}`
      : `Failed: ${error instanceof Error ? error.message : String(error)}`;
  console.error(message);
  process.exit(1);
}
