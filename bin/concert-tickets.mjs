#!/usr/bin/env node
// `npx concert-tickets <command>`: the operator CLI (local/cli.ts), run through tsx.
import { register } from 'tsx/esm/api';

register();
const { operatorCli } = await import('../local/cli.ts');
await operatorCli()
  .parseAsync(process.argv)
  .catch((error) => {
    console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
