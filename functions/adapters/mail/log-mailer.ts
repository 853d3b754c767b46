import type { Logger } from 'pino';
import type { Email, Mailer } from '../../ports/mailer.port';

/** Embedded mode: no mail server, so each mail is one log line a developer can read. */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(email: Email): Promise<void> {
    this.logger.info(
      { mail: { to: email.to, subject: email.subject, text: email.text } },
      'mail (not sent: no SMTP_URL or SES)',
    );
  }
}
