import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment';
import { Construct } from 'constructs';

export interface LoadBalancerOptions {
  prefix: string;
  subnetIds: string[];
  securityGroupId: string;
  target: LambdaFunction;
  certificateArn?: string;
  deletionProtection: boolean;
}

/**
 * An Application Load Balancer in front of the REST API, with the `alb-api` function as its Lambda
 * target. With a certificate: HTTPS on 443 and 80 redirecting to it; without: plain HTTP on 80.
 */
export class LoadBalancer extends Construct {
  readonly lb: Lb;

  constructor(scope: Construct, id: string, options: LoadBalancerOptions) {
    super(scope, id);
    this.lb = new Lb(this, 'alb', {
      name: `${options.prefix}-alb`.slice(0, 32),
      loadBalancerType: 'application',
      internal: false,
      subnets: options.subnetIds,
      securityGroups: [options.securityGroupId],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: options.deletionProtection,
    });
    const targets = new LbTargetGroup(this, 'targets', {
      name: `${options.prefix}-api`.slice(0, 32),
      targetType: 'lambda',
      lambdaMultiValueHeadersEnabled: false,
    });
    const permission = new LambdaPermission(this, 'invoke', {
      statementId: 'AllowLoadBalancer',
      action: 'lambda:InvokeFunction',
      functionName: options.target.functionName,
      principal: 'elasticloadbalancing.amazonaws.com',
      sourceArn: targets.arn,
    });
    new LbTargetGroupAttachment(this, 'target', {
      targetGroupArn: targets.arn,
      targetId: options.target.arn,
      dependsOn: [permission],
    });
    if (options.certificateArn) {
      new LbListener(this, 'https', {
        loadBalancerArn: this.lb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        certificateArn: options.certificateArn,
        defaultAction: [{ type: 'forward', targetGroupArn: targets.arn }],
      });
      new LbListener(this, 'http', {
        loadBalancerArn: this.lb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [
          { type: 'redirect', redirect: { port: '443', protocol: 'HTTPS', statusCode: 'HTTP_301' } },
        ],
      });
    } else {
      new LbListener(this, 'http', {
        loadBalancerArn: this.lb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [{ type: 'forward', targetGroupArn: targets.arn }],
      });
    }
  }
}
