import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionPusher } from '../ports/connection-pusher.port';
import { awsClientConfig } from './aws-client-config';

export interface ApiGatewayPusherOptions {
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`, or the local shim's URL. */
  endpoint: string;
  region?: string;
  /** Only for a local endpoint, which checks no signature. On AWS the Lambda role's credentials are used. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const encoder = new TextEncoder();

/** PostToConnection through the real SDK client; a 410 means the client is gone. */
export class ApiGatewayPusher implements ConnectionPusher {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(options: ApiGatewayPusherOptions) {
    this.client = new ApiGatewayManagementApiClient({
      endpoint: options.endpoint,
      ...awsClientConfig(options),
      maxAttempts: 2,
    });
  }

  async post(connectionId: string, data: string): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(data) }),
      );
      return 'sent';
    } catch (error) {
      // SDK v3 errors carry no statusCode: check the class and the response metadata.
      if (
        error instanceof GoneException ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410
      ) {
        return 'gone';
      }
      throw error;
    }
  }
}
