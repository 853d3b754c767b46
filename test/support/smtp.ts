import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './processes';

export interface TestSmtpServer {
  url: string;
  mails: ParsedMail[];
  /** Recipients whose mail the server refuses (to exercise retries). */
  refuse: Set<string>;
  /** How long (ms) the server sits on a message after its data arrives before answering 250; 0: at once. */
  answerDelayMs: number;
  /** Messages whose data has arrived and whose answer is still pending (a slow send in flight). */
  inFlight: number;
  close(): Promise<void>;
}

/** A real SMTP server in this process: nodemailer talks SMTP to it, the test reads what arrived. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const mails: ParsedMail[] = [];
  const refuse = new Set<string>();
  const state = { answerDelayMs: 0, inFlight: 0 };
  // Answers held back; setting the delay to 0 lets them all go at once.
  const held = new Set<() => void>();
  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        held.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      held.add(done);
    });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) callback(new Error('mailbox unavailable'));
      else callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        async (mail) => {
          state.inFlight++;
          if (state.answerDelayMs > 0) await hold(state.answerDelayMs);
          state.inFlight--;
          mails.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuse,
    get answerDelayMs() {
      return state.answerDelayMs;
    },
    set answerDelayMs(ms: number) {
      state.answerDelayMs = ms;
      if (ms === 0) for (const release of [...held]) release();
    },
    get inFlight() {
      return state.inFlight;
    },
    close: () => {
      for (const release of [...held]) release();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
