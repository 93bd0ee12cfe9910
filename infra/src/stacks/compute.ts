import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository/index.js';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster/index.js';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers/index.js';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service/index.js';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { TIER_NAMES, type TierName } from '@outpost/shared';
import type { ResolvedStackConfig, TaskSize } from './config.js';
import type { Data } from './data.js';
import {
  dispatcherStatements,
  edgeStatements,
  executionStatements,
  TaskRole,
  workerStatements,
  type ArnContext,
} from './iam.js';
import type { Network } from './network.js';
import { serviceTelemetry, type CollectorToken, type ContainerDefinition, type ServiceTelemetry } from './telemetry.js';

/** Port the edge container listens on (OUTPOST_EDGE_PORT). */
export const EDGE_PORT = 8080;
/** Seconds ECS waits after SIGTERM before SIGKILL (the Fargate maximum; also Spot's warning). */
export const STOP_TIMEOUT_SECONDS = 120;

/** Default Docker capabilities the worker (root, to drop agents to their uid) does not need. */
export const WORKER_DROPPED_CAPABILITIES = ['AUDIT_WRITE', 'FSETID', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW', 'SETFCAP', 'SETPCAP', 'SYS_CHROOT'];

export type ServiceId = 'edge' | 'dispatcher' | 'worker';

/** Worker service names, in the dispatcher's OUTPOST_ECS_SERVICE_PATTERN syntax. */
export const WORKER_SERVICE_PATTERN = '{prefix}-{tier}-worker';

/** ECS names the dispatcher and operators address. */
export function serviceNames(prefix: string) {
  return {
    cluster: prefix,
    edge: `${prefix}-edge`,
    dispatcher: `${prefix}-dispatcher`,
    worker: (tier: TierName) => WORKER_SERVICE_PATTERN.replace('{prefix}', prefix).replace('{tier}', tier),
  };
}

/** Names limited to 32 characters (load balancers, target groups). */
const short = (name: string) => name.slice(0, 32).replace(/-+$/, '');

export interface ComputeProps {
  config: ResolvedStackConfig;
  network: Network;
  data: Data;
  certificateArn: string;
  partition: string;
  account: string;
  /** The collectors' bearer token; undefined when telemetry is off. */
  collectorToken: CollectorToken | undefined;
}

/**
 * ECS on Fargate: the edge behind an HTTPS load balancer, one dispatcher task, and one worker
 * service per tier whose desired count belongs to the dispatcher (Terraform ignores it).
 */
export class Compute extends Construct {
  readonly cluster: EcsCluster;
  readonly repositories: Record<ServiceId, EcrRepository>;
  readonly loadBalancer: Lb;
  readonly services: { edge: EcsService; dispatcher: EcsService; workers: Record<TierName, EcsService> };
  readonly logGroups: Record<string, CloudwatchLogGroup>;
  /** What the webhooks construct attaches its policies to and builds on. */
  readonly roles: { edge: IamRole; dispatcher: IamRole };
  readonly arns: ArnContext;

  constructor(scope: Construct, id: string, private readonly props: ComputeProps) {
    super(scope, id);
    const { config, network, data, collectorToken } = props;
    const names = serviceNames(config.prefix);

    this.cluster = new EcsCluster(this, 'cluster', {
      name: names.cluster,
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
    // Services name capacity providers, which must be associated with the cluster first.
    const capacity = new EcsClusterCapacityProviders(this, 'capacity', {
      clusterName: this.cluster.name,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
    });

    this.repositories = {
      edge: this.repository('edge', config.repositories.edge),
      dispatcher: this.repository('dispatcher', config.repositories.dispatcher),
      worker: this.repository('worker', config.repositories.worker),
    };

    this.logGroups = {};
    const logGroup = (key: string, name: string) =>
      (this.logGroups[key] = new CloudwatchLogGroup(this, `logs-${key}`, {
        name: `/outpost/${config.env}/${name}`,
        retentionInDays: config.logRetentionDays,
      }));
    const edgeLogs = logGroup('edge', 'edge');
    const dispatcherLogs = logGroup('dispatcher', 'dispatcher');
    type TierLogs = Record<TierName, CloudwatchLogGroup>;
    const workerLogs = Object.fromEntries(TIER_NAMES.map((t) => [t, logGroup(`worker-${t}`, `worker-${t}`)])) as TierLogs;

    const arns: ArnContext = {
      partition: props.partition,
      region: config.region,
      account: props.account,
      env: config.env,
      clusterName: names.cluster,
      workerServices: Object.fromEntries(TIER_NAMES.map((t) => [t, names.worker(t)])) as Record<TierName, string>,
      logGroupArns: Object.values(this.logGroups).map((g) => g.arn),
      repositoryArns: Object.values(this.repositories).map((r) => r.arn),
    };
    this.arns = arns;
    const execution = new TaskRole(this, 'execution-role', {
      name: `${config.prefix}-ecs-execution`,
      account: props.account,
      statements: executionStatements(arns, collectorToken?.arn),
    }).role;

    // Security groups: only the load balancer is reachable from outside; tasks only call out.
    const albSg = new SecurityGroup(this, 'alb-sg', {
      name: `${config.prefix}-alb`,
      description: 'Outpost load balancer: HTTPS (and HTTP redirect) from anywhere',
      vpcId: network.vpc.id,
      ingress: [443, 80].map((port) => ({ protocol: 'tcp', fromPort: port, toPort: port, cidrBlocks: ['0.0.0.0/0'] })),
      egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: [network.vpc.cidrBlock] }],
    });
    const edgeSg = new SecurityGroup(this, 'edge-sg', {
      name: `${config.prefix}-edge`,
      description: 'Outpost edge tasks: the edge port from the load balancer only',
      vpcId: network.vpc.id,
      ingress: [{ protocol: 'tcp', fromPort: EDGE_PORT, toPort: EDGE_PORT, securityGroups: [albSg.id] }],
      egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
    });
    const tasksSg = new SecurityGroup(this, 'tasks-sg', {
      name: `${config.prefix}-tasks`,
      description: 'Outpost workers and dispatcher: no inbound; outbound to AWS APIs, model APIs and git hosts',
      vpcId: network.vpc.id,
      egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
    });

    this.loadBalancer = new Lb(this, 'alb', {
      name: short(`${config.prefix}-edge`),
      loadBalancerType: 'application',
      internal: false,
      subnets: network.publicSubnetIds,
      securityGroups: [albSg.id],
      dropInvalidHeaderFields: true,
      // MCP responses may stream (SSE) for as long as a tool call lasts.
      idleTimeout: 300,
    });
    const targets = new LbTargetGroup(this, 'edge-targets', {
      name: short(`${config.prefix}-edge-tg`),
      port: EDGE_PORT,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: network.vpc.id,
      deregistrationDelay: '30',
      healthCheck: { path: '/healthz', matcher: '200', interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
    });
    const https = new LbListener(this, 'https', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificateArn: props.certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: targets.arn }],
    });
    new LbListener(this, 'http-redirect', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });

    const common = {
      OUTPOST_MODE: 'aws',
      OUTPOST_ENV: config.env,
      OUTPOST_PREFIX: config.prefix,
      AWS_REGION: config.region,
      OUTPOST_MAX_ATTEMPTS: String(config.maxAttempts),
      ...(Object.keys(config.tiers).length ? { OUTPOST_TIERS: JSON.stringify(config.tiers) } : {}),
    };
    const network_ = (sg: SecurityGroup) => ({ subnets: network.privateSubnetIds, securityGroups: [sg.id], assignPublicIp: false });

    // Edge.
    const edgeTelemetry = serviceTelemetry(this, 'edge-telemetry', config, collectorToken, 'outpost-edge', 'edge');
    const edgeRole = new TaskRole(this, 'edge-role', {
      name: `${config.prefix}-edge-task`,
      account: props.account,
      statements: [...edgeStatements(data, arns), ...(edgeTelemetry?.statements ?? [])],
    }).role;
    const edgeTask = this.taskDefinition('edge', {
      telemetry: edgeTelemetry,
      size: config.edge,
      taskRoleArn: edgeRole.arn,
      executionRoleArn: execution.arn,
      logGroup: edgeLogs,
      // With a domain, the edge's OAuth sign-in is on: it is the issuer and `https://{domain}/mcp` the resource.
      env: {
        ...common,
        OUTPOST_EDGE_PORT: String(EDGE_PORT),
        OUTPOST_EDGE_HOST: '0.0.0.0',
        ...(config.domain ? { OUTPOST_EDGE_PUBLIC_URL: `https://${config.domain}` } : {}),
        ...(config.oauth ? { OUTPOST_OAUTH_ISSUER: config.oauth.issuer } : {}),
        ...(config.oauth?.tenantClaim ? { OUTPOST_OAUTH_TENANT_CLAIM: config.oauth.tenantClaim } : {}),
      },
      portMappings: [{ containerPort: EDGE_PORT, protocol: 'tcp' }],
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${EDGE_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 15,
      },
    });
    const edge = new EcsService(this, 'edge-service', {
      name: names.edge,
      cluster: this.cluster.arn,
      taskDefinition: edgeTask.arn,
      desiredCount: config.edgeCount,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: network_(edgeSg),
      loadBalancer: [{ targetGroupArn: targets.arn, containerName: 'edge', containerPort: EDGE_PORT }],
      healthCheckGracePeriodSeconds: 30,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: 'SERVICE',
      // The target group must be attached to the load balancer (by the listener) first.
      dependsOn: [https, capacity],
    });

    // Dispatcher: one task; two overlap during a deploy, which the design makes harmless.
    const dispatcherTelemetry = serviceTelemetry(this, 'dispatcher-telemetry', config, collectorToken, 'outpost-dispatcher', 'dispatcher');
    const dispatcherRole = new TaskRole(this, 'dispatcher-role', {
      name: `${config.prefix}-dispatcher-task`,
      account: props.account,
      statements: [...dispatcherStatements(data, arns), ...(dispatcherTelemetry?.statements ?? [])],
    }).role;
    const dispatcherTask = this.taskDefinition('dispatcher', {
      telemetry: dispatcherTelemetry,
      size: config.dispatcher,
      taskRoleArn: dispatcherRole.arn,
      executionRoleArn: execution.arn,
      logGroup: dispatcherLogs,
      env: {
        ...common,
        OUTPOST_ECS_CLUSTER: names.cluster,
        OUTPOST_ECS_SERVICE_PATTERN: WORKER_SERVICE_PATTERN,
        // Webhook payloads link to the run's dashboard page.
        ...(config.domain ? { OUTPOST_PUBLIC_URL: `https://${config.domain}` } : {}),
      },
    });
    const dispatcher = new EcsService(this, 'dispatcher-service', {
      name: names.dispatcher,
      cluster: this.cluster.arn,
      taskDefinition: dispatcherTask.arn,
      desiredCount: 1,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: network_(tasksSg),
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: 'SERVICE',
      dependsOn: [capacity],
    });

    // Workers: one service per tier, on its tier's queue and with its own role.
    const workers = {} as Record<TierName, EcsService>;
    for (const tier of TIER_NAMES) {
      const limits = config.tierTable[tier];
      // Agents share this task (and its loopback) but not the collector token: see CollectorToken.
      const telemetry = serviceTelemetry(this, `worker-${tier}-telemetry`, config, collectorToken, 'outpost-worker', `worker-${tier}`);
      const role = new TaskRole(this, `worker-${tier}-role`, {
        name: `${config.prefix}-worker-${tier}-task`,
        account: props.account,
        statements: [...workerStatements(data, arns, tier, data.secretsKey.arn), ...(telemetry?.statements ?? [])],
      }).role;
      const task = this.taskDefinition('worker', {
        telemetry,
        family: names.worker(tier),
        size: config.worker,
        taskRoleArn: role.arn,
        executionRoleArn: execution.arn,
        logGroup: workerLogs[tier],
        env: { ...common, OUTPOST_WORKER_TIER: tier, OUTPOST_AGENT_USER: 'agent' },
        // tini as PID 1 reaps the agents' orphaned grandchildren. The worker runs as root only to
        // drop agents to their own uid: it keeps setuid/setgid, chown, kill and file overrides.
        linuxParameters: { initProcessEnabled: true, capabilities: { drop: WORKER_DROPPED_CAPABILITIES } },
        ephemeralStorageGiB: 50,
      });
      workers[tier] = new EcsService(this, `worker-${tier}-service`, {
        name: names.worker(tier),
        cluster: this.cluster.arn,
        taskDefinition: task.arn,
        desiredCount: limits.minWorkers,
        capacityProviderStrategy: [{ capacityProvider: limits.spot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 }],
        networkConfiguration: network_(tasksSg),
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: 'SERVICE',
        // The dispatcher owns the count; an apply must not reset a scaled-out fleet.
        lifecycle: { ignoreChanges: ['desired_count'] },
        tags: { 'outpost:tier': tier },
        dependsOn: [capacity],
      });
    }
    this.services = { edge, dispatcher, workers };
    this.roles = { edge: edgeRole, dispatcher: dispatcherRole };
  }

  private repository(id: ServiceId, name: string): EcrRepository {
    const repo = new EcrRepository(this, `repo-${id}`, {
      name,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
    });
    new EcrLifecyclePolicy(this, `repo-${id}-lifecycle`, {
      repository: repo.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'Drop untagged layers after a day',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `Keep the last ${this.props.config.keepImages} images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: this.props.config.keepImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    return repo;
  }

  private taskDefinition(
    service: ServiceId,
    opts: {
      family?: string;
      size: TaskSize;
      taskRoleArn: string;
      executionRoleArn: string;
      logGroup: CloudwatchLogGroup;
      env: Record<string, string>;
      portMappings?: { containerPort: number; protocol: string }[];
      healthCheck?: Record<string, unknown>;
      linuxParameters?: Record<string, unknown>;
      ephemeralStorageGiB?: number;
      /** Adds the collector sidecar and the OTEL_* variables; undefined when telemetry is off. */
      telemetry: ServiceTelemetry | undefined;
    },
  ): EcsTaskDefinition {
    const { config } = this.props;
    const family = opts.family ?? `${config.prefix}-${service}`;
    const container: ContainerDefinition = {
      name: service,
      image: `${this.repositories[service].repositoryUrl}:${config.imageTag}`,
      essential: true,
      stopTimeout: STOP_TIMEOUT_SECONDS,
      environment: Object.entries(opts.env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value })),
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': opts.logGroup.name,
          'awslogs-region': config.region,
          'awslogs-stream-prefix': service,
        },
      },
      ...(opts.portMappings ? { portMappings: opts.portMappings } : {}),
      ...(opts.healthCheck ? { healthCheck: opts.healthCheck } : {}),
      ...(opts.linuxParameters ? { linuxParameters: opts.linuxParameters } : {}),
    };
    return new EcsTaskDefinition(this, `${family.slice(config.prefix.length + 1)}-task`, {
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(opts.size.cpu),
      memory: String(opts.size.memory),
      taskRoleArn: opts.taskRoleArn,
      executionRoleArn: opts.executionRoleArn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      ...(opts.ephemeralStorageGiB ? { ephemeralStorage: { sizeInGib: opts.ephemeralStorageGiB } } : {}),
      containerDefinitions: JSON.stringify(opts.telemetry ? opts.telemetry.containers(container, opts.logGroup.name) : [container]),
    });
  }
}
