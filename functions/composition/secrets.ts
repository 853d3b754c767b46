import { localJwtKey } from '../adapters/crypto/local-jwt-key';
import { makeDirectory } from '../adapters/node/startup-probes';
import { weakSecretReason } from '../config/published-secrets';
import { ConfigError, type ServiceConfig } from '../config/service-config';

/** The credentials the local stand-ins (LocalStack-like endpoints: *_ENDPOINT settings) accept: they check none. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Client options for Secrets Manager: its stand-in when SECRETS_MANAGER_ENDPOINT is set, else AWS's own. */
const secretsOptions = (config: ServiceConfig) =>
  config.secretsManagerEndpoint
    ? { endpoint: config.secretsManagerEndpoint, credentials: LOCAL_CREDENTIALS }
    : {};

/**
 * The key tokens are signed with (HS256), from the first source configured: JWT_SECRET; the secret
 * JWT_SECRET_ARN names in Secrets Manager (read at cold start); else a random key made once and kept in
 * DATA_DIR (embedded and local use).
 * @throws ConfigError naming JWT_SECRET_ARN when the stored key is weak (see published-secrets)
 * @throws ConfigError naming DATA_DIR when the data folder cannot be created
 */
export async function signingKey(config: ServiceConfig): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.jwtSecretArn) {
    const { readSecret } = await import('../adapters/aws/secrets-manager');
    const key = await readSecret(config.jwtSecretArn, secretsOptions(config));
    const weakness = weakSecretReason(key, 'signing-key');
    if (weakness) throw new ConfigError(`JWT_SECRET_ARN: the signing key in Secrets Manager ${weakness}`);
    return key;
  }
  await dataFolder(config);
  return localJwtKey(config.dataDir);
}

/**
 * REDIS_URL with the ElastiCache auth token filled in as its password: the token is kept in Secrets
 * Manager (REDIS_AUTH_SECRET_ARN), never in the function's environment. Undefined without REDIS_URL.
 */
export async function resolveRedisUrl(config: ServiceConfig): Promise<string | undefined> {
  if (!config.redisUrl || !config.redisAuthSecretArn) return config.redisUrl;
  const { readSecret } = await import('../adapters/aws/secrets-manager');
  const token = await readSecret(config.redisAuthSecretArn, secretsOptions(config));
  const url = new URL(config.redisUrl);
  url.password = token;
  return url.toString();
}

/** Creates DATA_DIR when missing. @throws ConfigError naming DATA_DIR when it cannot be created */
export async function dataFolder(config: ServiceConfig): Promise<void> {
  await makeDirectory(config.dataDir).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `DATA_DIR: cannot create the data folder ${config.dataDir} (${error.code ?? error.message})`,
    );
  });
}
