import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '../../functions/adapters/aws/ses-mailer';
import { type FakeEndpoint, startFakeAwsEndpoint } from '../support/fake-aws-endpoint';

describe('SesMailer bounds every send (real SESClient, local endpoint)', () => {
  let endpoint: FakeEndpoint;
  beforeAll(async () => {
    endpoint = await startFakeAwsEndpoint();
  });
  afterAll(async () => {
    await endpoint?.close();
  });

  it('an endpoint that never answers fails the send within the request timeout, after two attempts', async () => {
    endpoint.requests.length = 0;
    endpoint.respond = () => new Promise(() => undefined); // a stalled service
    const mailer = new SesMailer('box-office@example.test', {
      region: 'ap-southeast-1',
      endpoint: endpoint.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      timeouts: { requestTimeoutMs: 200 },
    });

    await expect(
      mailer.send({ to: 'fan@example.test', subject: 's', text: 't', html: '<p>t</p>' }),
    ).rejects.toThrow(/timeout|timed out/i);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('by default no send waits longer than a third of the outbox claim for an answer', () => {
    const mailer = new SesMailer('box-office@example.test', { region: 'ap-southeast-1' });

    expect(mailer.timeouts.connectionTimeoutMs + mailer.timeouts.requestTimeoutMs).toBeLessThanOrEqual(
      40_000,
    );
  });
});
