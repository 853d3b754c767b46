import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads a secret's string once (at cold start). A JSON secret with a `token` or `password` field gives
 * that field; anything else is the secret itself.
 */
export async function readSecret(
  secretId: string,
  options: { endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): Promise<string> {
  const client = new SecretsManagerClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
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
