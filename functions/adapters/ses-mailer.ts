import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Email, Mailer } from '../ports/mailer.port';
import { awsClientConfig } from './aws-client-config';

/** Mail through Amazon SES (AWS). `endpoint` only for a local stand-in that speaks the SES API. */
export class SesMailer implements Mailer {
  private readonly client: SESClient;

  constructor(
    private readonly from: string,
    options: {
      region?: string;
      endpoint?: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    } = {},
  ) {
    this.client = new SESClient({
      ...awsClientConfig(options),
    });
  }

  async send(email: Email): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        Source: this.from,
        Destination: { ToAddresses: [email.to] },
        Message: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: email.text, Charset: 'UTF-8' },
            Html: { Data: email.html, Charset: 'UTF-8' },
          },
        },
      }),
    );
  }
}
