import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import type { ResolvedStackConfig } from './config.js';

/** Availability zones the stack spreads over. */
export const AZ_COUNT = 2;

/** `/20` subnet `index` of a `/16` CIDR: public subnets take 0–1, private ones 8–9. */
export function subnetCidr(vpcCidr: string, index: number): string {
  const [a, b] = vpcCidr.split('.');
  return `${a}.${b}.${index * 16}.0/20`;
}

/**
 * VPC over two AZs: public subnets for the load balancer and the NAT, private subnets for every
 * task (agents reach model APIs and git hosts through the NAT), and gateway endpoints so S3 and
 * DynamoDB traffic stays off the NAT (cheaper, and no internet path for data).
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly privateRouteTableIds: string[];

  constructor(scope: Construct, id: string, config: ResolvedStackConfig) {
    super(scope, id);
    const name = config.prefix;
    const azs = new DataAwsAvailabilityZones(this, 'azs', { state: 'available' });
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: config.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: name },
    });
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: name } });
    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: this.vpc.id, tags: { Name: `${name}-public` } });
    new Route(this, 'public-default', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });

    const publicSubnets: Subnet[] = [];
    const privateSubnets: Subnet[] = [];
    const privateTables: RouteTable[] = [];
    const nats: NatGateway[] = [];
    for (let i = 0; i < AZ_COUNT; i++) {
      const az = Fn.element(azs.names, i) as string;
      const pub = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(config.vpcCidr, i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-public-${i}`, tier: 'public' },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: pub.id, routeTableId: publicRoutes.id });
      publicSubnets.push(pub);
      if (i === 0 || config.natGateways === 'per-az') {
        const eip = new Eip(this, `nat-${i}-ip`, { domain: 'vpc', tags: { Name: `${name}-nat-${i}` } });
        nats.push(
          new NatGateway(this, `nat-${i}`, {
            allocationId: eip.allocationId,
            subnetId: pub.id,
            tags: { Name: `${name}-nat-${i}` },
            dependsOn: [igw],
          }),
        );
      }
      const priv = new Subnet(this, `private-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(config.vpcCidr, 8 + i),
        tags: { Name: `${name}-private-${i}`, tier: 'private' },
      });
      const table = new RouteTable(this, `private-${i}-routes`, { vpcId: this.vpc.id, tags: { Name: `${name}-private-${i}` } });
      const nat = nats[Math.min(i, nats.length - 1)]!;
      new Route(this, `private-${i}-default`, { routeTableId: table.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.id });
      new RouteTableAssociation(this, `private-${i}-assoc`, { subnetId: priv.id, routeTableId: table.id });
      privateSubnets.push(priv);
      privateTables.push(table);
    }
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.privateRouteTableIds = privateTables.map((t) => t.id);

    for (const service of ['s3', 'dynamodb'] as const) {
      new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${config.region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: this.privateRouteTableIds,
        tags: { Name: `${name}-${service}` },
      });
    }
  }
}
