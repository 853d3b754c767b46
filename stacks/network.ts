import { Eip } from '@cdktf/provider-aws/lib/eip';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';

/**
 * How the functions reach each AWS API they call, by the SDK client package they use: an interface
 * endpoint in the private subnets (private DNS, so the SDK's default hostname resolves to it), or the
 * reason the call goes through NAT. A new `@aws-sdk/client-*` dependency must be added here (a stack
 * test enforces it).
 */
export const VPC_ENDPOINT_SERVICES: Record<
  string,
  { endpoint: string } | { endpoint?: undefined; why: string }
> = {
  '@aws-sdk/client-rds-data': { endpoint: 'rds-data' },
  '@aws-sdk/client-secrets-manager': { endpoint: 'secretsmanager' },
  '@aws-sdk/client-backup': { endpoint: 'backup' },
  // The relay invokes its relay-shard function (each shard's payload, up to a few MB per delivery).
  '@aws-sdk/client-lambda': { endpoint: 'lambda' },
  '@aws-sdk/client-ses': {
    why: 'SES offers an interface endpoint for SMTP (email-smtp) only, not for the SendEmail API the mailer calls; two jobs send a few mails a day through NAT',
  },
  '@aws-sdk/client-apigatewaymanagementapi': {
    why: 'an execute-api endpoint with private DNS would send every *.execute-api hostname, the public WebSocket API included, to private APIs only; PostToConnection goes through NAT',
  },
};

export interface NetworkOptions {
  prefix: string;
  region: string;
  availabilityZones: [string, string];
  /** One NAT gateway per AZ (prod) or one shared (dev). */
  natPerZone: boolean;
}

/**
 * VPC 10.0.0.0/16 with a public and a private subnet in each of two AZs. Lambdas live in the private
 * subnets and reach the Data API, Secrets Manager, AWS Backup and Lambda (the relay's shards) through interface endpoints (no NAT
 * cost, no NAT gateway between them and the data), SES and the WebSocket management API through NAT
 * (see VPC_ENDPOINT_SERVICES).
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly lambdaSecurityGroup: SecurityGroup;
  readonly databaseSecurityGroup: SecurityGroup;
  readonly cacheSecurityGroup: SecurityGroup;
  readonly loadBalancerSecurityGroup: SecurityGroup;
  readonly endpointSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, options: NetworkOptions) {
    super(scope, id);
    const tag = (name: string) => ({ Name: `${options.prefix}-${name}` });
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: '10.0.0.0/16',
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: tag('vpc'),
    });
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: tag('igw') });

    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: this.vpc.id, tags: tag('public') });
    new Route(this, 'public-default', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });

    const publicSubnets = options.availabilityZones.map(
      (zone, i) =>
        new Subnet(this, `public-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: `10.0.${i}.0/24`,
          mapPublicIpOnLaunch: false,
          tags: tag(`public-${zone}`),
        }),
    );
    const privateSubnets = options.availabilityZones.map(
      (zone, i) =>
        new Subnet(this, `private-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: `10.0.${10 + i}.0/24`,
          tags: tag(`private-${zone}`),
        }),
    );
    publicSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `public-assoc-${i}`, {
        subnetId: subnet.id,
        routeTableId: publicRoutes.id,
      });
    });

    const nats = (options.natPerZone ? publicSubnets : publicSubnets.slice(0, 1)).map((subnet, i) => {
      const ip = new Eip(this, `nat-ip-${i}`, { domain: 'vpc', tags: tag(`nat-${i}`) });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: ip.id,
        subnetId: subnet.id,
        tags: tag(`nat-${i}`),
        dependsOn: [igw],
      });
    });
    privateSubnets.forEach((subnet, i) => {
      const routes = new RouteTable(this, `private-routes-${i}`, {
        vpcId: this.vpc.id,
        tags: tag(`private-${i}`),
      });
      const nat = nats[Math.min(i, nats.length - 1)] as NatGateway;
      new Route(this, `private-default-${i}`, {
        routeTableId: routes.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: nat.id,
      });
      new RouteTableAssociation(this, `private-assoc-${i}`, { subnetId: subnet.id, routeTableId: routes.id });
    });
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);

    const group = (name: string, description: string) =>
      new SecurityGroup(this, `${name}-sg`, {
        name: `${options.prefix}-${name}`,
        description,
        vpcId: this.vpc.id,
        tags: tag(name),
      });
    this.lambdaSecurityGroup = group('lambda', 'Lambda functions: outbound only');
    this.databaseSecurityGroup = group('database', 'Aurora: PostgreSQL from the Lambdas only');
    this.cacheSecurityGroup = group('cache', 'ElastiCache: Redis from the Lambdas only');
    this.loadBalancerSecurityGroup = group('alb', 'ALB: HTTP and HTTPS from the internet');
    this.endpointSecurityGroup = group('endpoints', 'VPC interface endpoints: HTTPS from the Lambdas only');

    new VpcSecurityGroupEgressRule(this, 'lambda-egress', {
      securityGroupId: this.lambdaSecurityGroup.id,
      description: 'HTTPS to AWS APIs through NAT, and the data stores',
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
    });
    new VpcSecurityGroupIngressRule(this, 'database-from-lambda', {
      securityGroupId: this.databaseSecurityGroup.id,
      referencedSecurityGroupId: this.lambdaSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      description: 'PostgreSQL from the Lambdas',
    });
    new VpcSecurityGroupIngressRule(this, 'cache-from-lambda', {
      securityGroupId: this.cacheSecurityGroup.id,
      referencedSecurityGroupId: this.lambdaSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 6379,
      toPort: 6379,
      description: 'Redis (TLS) from the Lambdas',
    });
    for (const port of [80, 443]) {
      new VpcSecurityGroupIngressRule(this, `alb-in-${port}`, {
        securityGroupId: this.loadBalancerSecurityGroup.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `port ${port} from the internet`,
      });
    }
    new VpcSecurityGroupIngressRule(this, 'endpoints-from-lambda', {
      securityGroupId: this.endpointSecurityGroup.id,
      referencedSecurityGroupId: this.lambdaSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'AWS APIs (HTTPS) from the Lambdas',
    });
    for (const service of Object.values(VPC_ENDPOINT_SERVICES)) {
      if (!service.endpoint) continue;
      new VpcEndpoint(this, `endpoint-${service.endpoint}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${options.region}.${service.endpoint}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [this.endpointSecurityGroup.id],
        tags: tag(`endpoint-${service.endpoint}`),
      });
    }
    new VpcSecurityGroupEgressRule(this, 'alb-egress', {
      securityGroupId: this.loadBalancerSecurityGroup.id,
      description: 'to the Lambda target',
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
    });
  }
}
