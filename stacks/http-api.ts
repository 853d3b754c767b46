import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';
import { HTTP_ROUTES } from '../functions/handlers/http/routes';
import type { EnvironmentSettings } from './config';
import type { Functions } from './functions';

export const LOGIN_ROUTE = 'POST /api/auth/login';

/** API Gateway HTTP API: one route per contract route, each to its own function; throttled, login more so. */
export class HttpApi extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;

  constructor(
    scope: Construct,
    id: string,
    options: { prefix: string; settings: EnvironmentSettings; functions: Functions },
  ) {
    super(scope, id);
    const { throttling } = options.settings;
    this.api = new Apigatewayv2Api(this, 'api', { name: `${options.prefix}-http`, protocolType: 'HTTP' });
    const integrations = new Map<string, Apigatewayv2Integration>();
    for (const route of HTTP_ROUTES) {
      const { fn } = options.functions.get(route.functionName);
      let integration = integrations.get(route.functionName);
      if (!integration) {
        integration = new Apigatewayv2Integration(this, `${route.functionName}-integration`, {
          apiId: this.api.id,
          integrationType: 'AWS_PROXY',
          integrationUri: fn.invokeArn,
          payloadFormatVersion: '2.0',
          timeoutMilliseconds: 29_000,
        });
        integrations.set(route.functionName, integration);
        new LambdaPermission(this, `${route.functionName}-permission`, {
          statementId: 'AllowHttpApi',
          action: 'lambda:InvokeFunction',
          functionName: fn.functionName,
          principal: 'apigateway.amazonaws.com',
          sourceArn: `${this.api.executionArn}/*/*`,
        });
      }
      new Apigatewayv2Route(this, `route-${route.method}-${route.path}`.replace(/[^\w-]/g, '_'), {
        apiId: this.api.id,
        routeKey: `${route.method} ${route.path}`,
        target: `integrations/${integration.id}`,
      });
    }
    this.stage = new Apigatewayv2Stage(this, 'stage', {
      apiId: this.api.id,
      name: '$default',
      autoDeploy: true,
      defaultRouteSettings: { throttlingRateLimit: throttling.rate, throttlingBurstLimit: throttling.burst },
      routeSettings: [
        {
          routeKey: LOGIN_ROUTE,
          throttlingRateLimit: throttling.loginRate,
          throttlingBurstLimit: throttling.loginBurst,
        },
      ],
    });
  }
}
