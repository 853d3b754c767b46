import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that fails instead of spinning: Node 20's `mkdir(path, { recursive: true })` never returns
 * for a path under /proc (it retries ENOENT forever). Walks up to the first existing ancestor.
 * @throws the mkdir error (ENOENT, EACCES, EROFS, ENOTDIR, …) of the first directory it cannot create
 */
export async function makeDirectory(path: string): Promise<void> {
  const absolute = resolve(path);
  try {
    await mkdir(absolute);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return mustBeDirectory(absolute, error);
    const parent = dirname(absolute);
    if (code !== 'ENOENT' || parent === absolute) throw error;
    await makeDirectory(parent);
  }
  try {
    await mkdir(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return mustBeDirectory(absolute, error);
    throw error;
  }
}

async function mustBeDirectory(path: string, error: unknown): Promise<void> {
  if (!(await stat(path)).isDirectory()) throw error;
}
