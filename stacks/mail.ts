import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { SesEmailIdentity } from '@cdktf/provider-aws/lib/ses-email-identity';
import { Construct } from 'constructs';

export interface MailOptions {
  /** The sender address (EMAIL_FROM). */
  from: string;
  region: string;
  /**
   * Whether this stack creates the SES identity (AWS mails it a verification link once). An identity is
   * one per address in an account and region: exactly one stack owns it, so destroying another stack
   * never deletes the sender the owner relies on.
   */
  ownsIdentity: boolean;
  /**
   * In the SES sandbox, SES authorizes the recipient's identity as well as the sender's, so a policy on
   * the sender's identity alone is refused for every mail: the send policy then covers the account's
   * identities in the region. Out of the sandbox, only the sender's identity.
   */
  sandbox: boolean;
}

/** SES for the sender address: the identity (in its owner stack) and what `ses:SendEmail` is granted on. */
export class Mail extends Construct {
  readonly identity: SesEmailIdentity | undefined;
  /** The IAM resources `ses:SendEmail`/`ses:SendRawEmail` are allowed on. */
  readonly sendResources: string[];

  constructor(scope: Construct, id: string, options: MailOptions) {
    super(scope, id);
    this.identity = options.ownsIdentity
      ? new SesEmailIdentity(this, 'sender', { email: options.from })
      : undefined;
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const identities = `arn:${partition.partition}:ses:${options.region}:${account.accountId}:identity`;
    if (options.sandbox) this.sendResources = [`${identities}/*`];
    else if (this.identity) this.sendResources = [this.identity.arn];
    // The identity lives in its owner stack; no attribute to read here.
    else this.sendResources = [`${identities}/${options.from}`];
  }
}
