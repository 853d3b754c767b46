import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, as written. */
  lines: string[];
  /** The same lines, parsed. */
  records<T = Record<string, unknown>>(): T[];
}

/** A pino logger whose JSON lines are kept, for tests that read what was logged. */
export function capturingLogger(level: pino.LevelWithSilent = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: pino({ level }, sink),
    lines,
    records: <T>() => lines.map((line) => JSON.parse(line) as T),
  };
}
