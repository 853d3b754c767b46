import nodemailer, { type Transporter } from 'nodemailer';
import type { Email, Mailer } from '../ports/mailer.port';

/** Mail over SMTP with nodemailer (containers: a relay or a mail catcher at SMTP_URL). */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
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
