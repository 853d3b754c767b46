import nodemailer, { type Transporter } from 'nodemailer';
import type { Email, Mailer } from '../../ports/mailer.port';

/** How long (ms) a send may wait at each step before it fails. */
export interface SmtpTimeouts {
  /** For the TCP (and TLS) connection to be made. nodemailer's default: 2 min. */
  connectionTimeoutMs: number;
  /** For the server's 220 greeting once connected. nodemailer's default: 30 s. */
  greetingTimeoutMs: number;
  /** For any answer while the connection is open (socket inactivity). nodemailer's default: 10 min. */
  socketTimeoutMs: number;
  /** For the host name to resolve. */
  dnsTimeoutMs: number;
}

/**
 * Well under a third of the outbox claim (120 s, renewed every 40 s): a stalled server fails the send long
 * before the claim needs its next renewal, and a hung send never holds a job run for minutes.
 */
export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 30_000,
  dnsTimeoutMs: 10_000,
};

/**
 * Mail over SMTP with nodemailer (containers: a relay or a mail catcher at SMTP_URL). Every step of a send
 * is bounded (SmtpTimeouts); a send that times out rejects, and the outbox retries it later. A timeout
 * after the message data was sent but before the server's answer may still have delivered it (RFC 1047):
 * that retry is the one duplicate SMTP itself allows.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  readonly timeouts: SmtpTimeouts;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeouts: Partial<SmtpTimeouts> = {},
  ) {
    this.timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...timeouts };
    // These replace nodemailer's defaults; a setting in the URL's query (?socketTimeout=…) still wins.
    this.transport = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: this.timeouts.connectionTimeoutMs,
      greetingTimeout: this.timeouts.greetingTimeoutMs,
      socketTimeout: this.timeouts.socketTimeoutMs,
      dnsTimeout: this.timeouts.dnsTimeoutMs,
    } as Parameters<typeof nodemailer.createTransport>[0]);
  }

  async send(email: Email): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
    });
  }

  close(): void {
    this.transport.close();
  }
}
