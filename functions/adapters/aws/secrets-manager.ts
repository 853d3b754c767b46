import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AwsEndpointOptions, awsClientConfig } from './aws-client-config';

/**
 * Reads a secret's string once (at cold start). A JSON secret with a `token` or `password` field gives
 * that field; anything else is the secret itself.
 */
export async function readSecret(secretId: string, options: AwsEndpointOptions = {}): Promise<string> {
  const client = new SecretsManagerClient(awsClientConfig(options));
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`Secret ${secretId} has no string value`);
    try {
      const parsed = JSON.parse(SecretString) as { token?: unknown; password?: unknown };
      const field = parsed.token ?? parsed.password;
      if (typeof field === 'string') return field;
    } catch {
      // a plain string secret
    }
    return SecretString;
  } finally {
    client.destroy();
  }
}
