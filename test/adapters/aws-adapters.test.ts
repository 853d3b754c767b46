import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsBackupVerifier } from '../../functions/adapters/aws/aws-backup-verifier';
import { SesMailer } from '../../functions/adapters/aws/ses-mailer';
import { handler as backupJob } from '../../functions/handlers/job-backup';
import { type FakeEndpoint, startFakeAwsEndpoint } from '../support/fake-aws-endpoint';
import { fakeLambdaContext } from '../support/lambda-context';
import { startTestService, type TestService } from '../support/test-service';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const clusterArn = 'arn:aws:rds:ap-southeast-1:123456789012:cluster:concert-tickets';

describe('AWS adapters through the real SDK clients against local endpoints', () => {
  let endpoint: FakeEndpoint;
  beforeAll(async () => {
    endpoint = await startFakeAwsEndpoint();
  });
  afterAll(async () => {
    await endpoint?.close();
  });

  it('SesMailer sends SendEmail with text and HTML, and surfaces SES rejections', async () => {
    endpoint.requests.length = 0;
    endpoint.respond = () => ({
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: '<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>m-1</MessageId></SendEmailResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendEmailResponse>',
    });
    const mailer = new SesMailer('box-office@example.test', {
      region: 'ap-southeast-1',
      endpoint: endpoint.url,
      credentials,
    });

    await mailer.send({
      to: 'fan@example.test',
      subject: 'Your tickets',
      text: 'CODE-1',
      html: '<p>CODE-1</p>',
    });

    const form = new URLSearchParams(endpoint.requests[0]?.body);
    expect(form.get('Action')).toBe('SendEmail');
    expect(form.get('Source')).toBe('box-office@example.test');
    expect(form.get('Destination.ToAddresses.member.1')).toBe('fan@example.test');
    expect(form.get('Message.Subject.Data')).toBe('Your tickets');
    expect(form.get('Message.Body.Text.Data')).toBe('CODE-1');
    expect(form.get('Message.Body.Html.Data')).toBe('<p>CODE-1</p>');
    expect(endpoint.requests[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);

    endpoint.respond = () => ({
      status: 400,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified.</Message></Error><RequestId>r-2</RequestId></ErrorResponse>',
    });
    await expect(mailer.send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' })).rejects.toThrow(
      /not verified/,
    );
  });

  it('AwsBackupVerifier accepts a recent completed recovery point and refuses stale or failed ones', async () => {
    let points: unknown[] = [];
    endpoint.respond = (request) => {
      expect(decodeURIComponent(request.path)).toContain(`/resources/${clusterArn}/recovery-points`);
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ RecoveryPoints: points }),
      };
    };
    const verifier = new AwsBackupVerifier({
      resourceArn: clusterArn,
      maxAgeHours: 26,
      endpoint: endpoint.url,
      credentials,
    });
    const now = Date.now() / 1000;

    points = [
      { RecoveryPointArn: 'rp-old', Status: 'COMPLETED', CreationDate: now - 30 * 3600 },
      { RecoveryPointArn: 'rp-failed', Status: 'FAILED', CreationDate: now - 3600 },
    ];
    await expect(verifier.backUp()).rejects.toThrow(/No completed recovery point/);

    points.push({
      RecoveryPointArn: 'rp-new',
      Status: 'COMPLETED',
      CreationDate: now - 2 * 3600,
      BackupSizeBytes: 1234,
    });
    expect(await verifier.backUp()).toEqual({ location: 'rp-new', bytes: 1234, pruned: [] });
  });

  describe('the backup job as a Lambda on AWS', () => {
    let t: TestService;
    beforeAll(async () => {
      t = await startTestService({
        BACKUP_VERIFY_RESOURCE_ARN: clusterArn,
        AWS_BACKUP_ENDPOINT: endpoint.url,
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('verifies instead of dumping, and records the run', async () => {
      endpoint.respond = () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          RecoveryPoints: [
            { RecoveryPointArn: 'rp-today', Status: 'COMPLETED', CreationDate: Date.now() / 1000 },
          ],
        }),
      });
      const report = await backupJob(undefined, fakeLambdaContext());
      expect(report).toMatchObject({ job: 'backup', outcome: 'succeeded' });
      const [run] = await t.service.services.db.query(`SELECT outcome FROM job_runs WHERE job = 'backup'`);
      expect(run).toEqual({ outcome: 'succeeded' });

      endpoint.respond = () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"RecoveryPoints":[]}',
      });
      await expect(backupJob(undefined, fakeLambdaContext())).rejects.toThrow(/No completed recovery point/);
    });
  });
});
