import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Email, Mailer } from '../../ports/mailer.port';
import { awsClientConfig } from './aws-client-config';

/** How long (ms) one SendEmail call may wait before it fails. */
export interface SesTimeouts {
  /** For the TCP/TLS connection to SES. */
  connectionTimeoutMs: number;
  /** For the answer once the request is sent (the SDK's default: none, a stalled call waits forever). */
  requestTimeoutMs: number;
}

/**
 * Two attempts of at most 5 s + 15 s each: a send ends well within the outbox claim (120 s, renewed every
 * 40 s while the send runs), so a stalled endpoint never holds a job run for minutes.
 */
export const DEFAULT_SES_TIMEOUTS: SesTimeouts = { connectionTimeoutMs: 5_000, requestTimeoutMs: 15_000 };

/**
 * Mail through Amazon SES (AWS). `endpoint` only for a local stand-in that speaks the SES API. Every call is
 * bounded (SesTimeouts, 2 attempts). SendEmail takes no idempotency token: a call that timed out after SES
 * accepted it may still deliver, and its retry (by the SDK or the outbox) is the one duplicate left.
 */
export class SesMailer implements Mailer {
  private readonly client: SESClient;
  readonly timeouts: SesTimeouts;

  constructor(
    private readonly from: string,
    options: {
      region?: string;
      endpoint?: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
      timeouts?: Partial<SesTimeouts>;
    } = {},
  ) {
    this.timeouts = { ...DEFAULT_SES_TIMEOUTS, ...options.timeouts };
    this.client = new SESClient({
      ...awsClientConfig(options),
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: this.timeouts.connectionTimeoutMs,
        requestTimeout: this.timeouts.requestTimeoutMs,
        // Without it the SDK only logs a warning when the request timeout passes and keeps waiting.
        throwOnRequestTimeout: true,
      },
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
