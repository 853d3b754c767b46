export interface AwsEndpointOptions {
  region?: string;
  /** Only for a local stand-in that speaks the service's API. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The client configuration every AWS SDK adapter shares: the Lambda's region unless told otherwise. */
export function awsClientConfig(options: AwsEndpointOptions) {
  return {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}
