import { SesEmailIdentity } from '@cdktf/provider-aws/lib/ses-email-identity';
import { Construct } from 'constructs';

/** The SES identity for the sender address (AWS mails it a verification link once). */
export class Mail extends Construct {
  readonly identity: SesEmailIdentity;

  constructor(scope: Construct, id: string, options: { from: string }) {
    super(scope, id);
    this.identity = new SesEmailIdentity(this, 'sender', { email: options.from });
  }
}
