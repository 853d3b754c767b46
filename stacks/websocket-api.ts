import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { WEBSOCKET_ROUTES } from '../functions/handlers/lambda-functions';
import type { EnvironmentSettings } from './config';
import type { Functions } from './functions';

export const WEBSOCKET_STAGE = 'live';

/**
 * API Gateway WebSocket API: `$connect`, `$disconnect`, `$default` and one route per client action
 * (selected by `$request.body.action`). The API is made first so the functions can be told its
 * management endpoint; the routes are added once the functions exist.
 */
export class WebSocketApi extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  /** `https://{api}.execute-api.{region}.amazonaws.com/live`: where PostToConnection goes. */
  readonly callbackUrl: string;
  /** The ARN pattern `execute-api:ManageConnections` is granted on. */
  readonly manageConnectionsArn: string;

  constructor(scope: Construct, id: string, options: { prefix: string; settings: EnvironmentSettings }) {
    super(scope, id);
    this.api = new Apigatewayv2Api(this, 'api', {
      name: `${options.prefix}-ws`,
      protocolType: 'WEBSOCKET',
      routeSelectionExpression: '$request.body.action',
    });
    this.stage = new Apigatewayv2Stage(this, 'stage', {
      apiId: this.api.id,
      name: WEBSOCKET_STAGE,
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: options.settings.throttling.rate,
        throttlingBurstLimit: options.settings.throttling.burst,
      },
    });
    this.callbackUrl = Fn.replace(this.stage.invokeUrl, 'wss://', 'https://');
    this.manageConnectionsArn = `${this.api.executionArn}/${WEBSOCKET_STAGE}/POST/@connections/*`;
  }

  /**
   * The stage names no route (no route settings), so it need not wait for them; it cannot, either: the
   * functions read its URL, and the routes need the functions.
   */
  route(functions: Functions): void {
    const integrations = new Map<string, Apigatewayv2Integration>();
    for (const { routeKey, functionName } of WEBSOCKET_ROUTES) {
      let integration = integrations.get(functionName);
      if (!integration) {
        const { fn } = functions.get(functionName);
        integration = new Apigatewayv2Integration(this, `${functionName}-integration`, {
          apiId: this.api.id,
          integrationType: 'AWS_PROXY',
          // WebSocket APIs require POST for Lambda proxy integrations.
          integrationMethod: 'POST',
          integrationUri: fn.invokeArn,
        });
        integrations.set(functionName, integration);
        new LambdaPermission(this, `${functionName}-permission`, {
          statementId: 'AllowWebSocketApi',
          action: 'lambda:InvokeFunction',
          functionName: fn.functionName,
          principal: 'apigateway.amazonaws.com',
          sourceArn: `${this.api.executionArn}/*/*`,
        });
      }
      new Apigatewayv2Route(this, `route-${routeKey}`.replace(/[^\w-]/g, '_'), {
        apiId: this.api.id,
        routeKey,
        target: `integrations/${integration.id}`,
      });
    }
  }
}
