/**
 * Why one post did not go through, when the client is still there:
 * - `too-large`: over the endpoint's message limit (API Gateway: 128 KB, HTTP 413); posting again cannot help;
 * - `throttled`: the endpoint asks to slow down (HTTP 429); worth another try after a pause;
 * - `unavailable`: 5xx, a timeout or a broken connection; worth another try after a pause;
 * - `refused`: any other 4xx (403 Forbidden, 400); posting again cannot help.
 */
export type PushFailureKind = 'too-large' | 'throttled' | 'unavailable' | 'refused';

/** A post that failed for a reason other than the client being gone (that is the `'gone'` answer). */
export class PushFailure extends Error {
  override readonly name = 'PushFailure';

  constructor(
    readonly kind: PushFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Throttling and server-side trouble may pass; a refusal or an oversized message will not. */
  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'unavailable';
  }
}

/**
 * Sends one text frame to one connection: `'sent'`, or `'gone'` when the client is no longer there
 * (HTTP 410). Any other failure rejects with a {@link PushFailure}.
 */
export interface ConnectionPusher {
  /** The largest frame, in UTF-8 bytes, the endpoint accepts (API Gateway: 128 KB); undefined: no limit. */
  readonly maxMessageBytes?: number;
  post(connectionId: string, data: string): Promise<'sent' | 'gone'>;
}
