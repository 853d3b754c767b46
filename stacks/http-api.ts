import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';
import { HTTP_ROUTE_TABLE } from '../functions/handlers/http/route-table';
import type { EnvironmentSettings } from './config';
import type { Functions } from './functions';

export const LOGIN_ROUTE = 'POST /api/auth/login';

/** The request headers browsers may send cross-origin, as the Express shim allows them (local/shim/http-app.ts). */
export const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-request-id'];
/** The response headers a cross-origin page may read. */
export const CORS_EXPOSE_HEADERS = ['x-instance-id', 'retry-after'];
/** How long a browser may cache a preflight answer, s (the shim's `maxAge`). */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * API Gateway HTTP API: one route per contract route, each to its own function; throttled, login more so.
 * With FRONTEND_URL origins, API Gateway answers CORS preflights itself (and adds the CORS headers to
 * every response) for those origins only. The `$default` stage depends on every route: its route
 * settings name routes, and API Gateway refuses settings for a route that does not exist yet.
 */
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
    const origins = options.settings.frontendOrigins;
    this.api = new Apigatewayv2Api(this, 'api', {
      name: `${options.prefix}-http`,
      protocolType: 'HTTP',
      ...(origins.length > 0
        ? {
            corsConfiguration: {
              allowOrigins: origins,
              allowHeaders: CORS_ALLOW_HEADERS,
              allowMethods: [...new Set(HTTP_ROUTE_TABLE.map((route) => route.method)), 'OPTIONS'],
              exposeHeaders: CORS_EXPOSE_HEADERS,
              maxAge: CORS_MAX_AGE_SECONDS,
            },
          }
        : {}),
    });
    const routes: Apigatewayv2Route[] = [];
    const integrations = new Map<string, Apigatewayv2Integration>();
    for (const route of HTTP_ROUTE_TABLE) {
      const { fn } = options.functions.get(route.functionName);
      let integration = integrations.get(route.functionName);
      if (!integration) {
        integration = new Apigatewayv2Integration(this, `${route.functionName}-integration`, {
          apiId: this.api.id,
          integrationType: 'AWS_PROXY',
          // Lambda is always invoked with POST, whatever the client's method.
          integrationMethod: 'POST',
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
      routes.push(
        new Apigatewayv2Route(this, `route-${route.method}-${route.path}`.replace(/[^\w-]/g, '_'), {
          apiId: this.api.id,
          routeKey: `${route.method} ${route.path}`,
          target: `integrations/${integration.id}`,
        }),
      );
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
      dependsOn: routes,
    });
  }
}
