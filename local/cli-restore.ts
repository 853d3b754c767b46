import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { CliError } from './cli-errors';

const run = promisify(execFile);

/** What `restore` needs: the dump, the target, whether the operator already said yes, two printers. */
export interface RestoreRequest {
  /** A pg_dump custom-format (`-Fc`) file, as the `backup` job writes. */
  file: string;
  /** The PostgreSQL connection string to restore into (its contents are replaced). */
  url: string;
  /** `--yes`: replace a database that holds data without asking. */
  yes: boolean;
  say: (line: string) => void;
  note: (line: string) => void;
  /** Asks the operator a question on the terminal (tests pass their own). */
  ask?: (question: string) => Promise<string>;
  /** Whether standard input is a terminal one can ask on (default: process.stdin.isTTY). */
  interactive?: boolean;
}

/** What a database holds, to show before it is replaced: tables in `public`, and a few key counts. */
interface Contents {
  tables: number;
  concerts?: number;
  tickets?: number;
  users?: number;
}

/**
 * Restores a pg_dump custom-format file into `url` with `pg_restore --clean --if-exists --no-owner
 * --exit-on-error`. A target that holds tables is replaced only after the operator confirms: `--yes`, or
 * typing the database's name on a terminal; without a terminal and without `--yes` it is a CliError and
 * nothing is touched. An empty database is restored into without a question.
 * @throws CliError for a missing or unreadable file, a refusal, pg_restore absent, or pg_restore failing
 *   (its last lines of error output in the message)
 */
export async function restoreBackup(request: RestoreRequest): Promise<void> {
  const { file, url, say, note } = request;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`no backup file ${file}`);
  await access(file, constants.R_OK).catch(() => {
    throw new CliError(`cannot read ${file}`);
  });
  const target = describeTarget(url);
  const contents = await contentsOf(url);
  if (contents.tables > 0) {
    const what = [
      `${contents.tables} tables`,
      contents.concerts !== undefined ? `${contents.concerts} concerts` : undefined,
      contents.tickets !== undefined ? `${contents.tickets} tickets` : undefined,
      contents.users !== undefined ? `${contents.users} users` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    note(
      `${target.label} holds data (${what}): restoring ${file} (${info.mtime.toISOString()}, ${info.size} bytes) replaces it.`,
    );
    if (!request.yes) {
      const interactive = request.interactive ?? process.stdin.isTTY === true;
      if (!interactive)
        throw new CliError(
          `restore would replace ${target.label}, which holds data: pass --yes to confirm (standard input is not a terminal to ask on); nothing was changed`,
        );
      const answer = (
        await (request.ask ?? askOnTerminal)(`Type the database name (${target.database}) to replace it: `)
      ).trim();
      if (answer !== target.database) throw new CliError('not confirmed: nothing was changed');
    }
  }
  note(`restoring ${file} into ${target.label} …`);
  const started = Date.now();
  try {
    await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--exit-on-error', '-d', url, file], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT')
      throw new CliError('pg_restore was not found on PATH: install the PostgreSQL client tools');
    const detail = String(failure.stderr ?? failure.message)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' / ');
    throw new CliError(`pg_restore failed (the database may be partly restored): ${detail}`);
  }
  say(`restored ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The target as an operator recognises it, without its password: `database "x" on host:port`. */
function describeTarget(url: string): { database: string; label: string } {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
    return { database, label: `database "${database}" on ${parsed.host || 'localhost'}` };
  } catch {
    return { database: 'postgres', label: 'the database of DATABASE_URL' };
  }
}

async function contentsOf(url: string): Promise<Contents> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new CliError(`cannot connect to DATABASE_URL: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const names = new Set(rows.map((row) => row.name));
    const count = async (table: 'concerts' | 'tickets' | 'users') => {
      if (!names.has(table)) return undefined;
      const result = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      return result.rows[0]?.n;
    };
    return {
      tables: names.size,
      concerts: await count('concerts'),
      tickets: await count('tickets'),
      users: await count('users'),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function askOnTerminal(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}
