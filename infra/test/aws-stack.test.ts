import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  ARTIFACT_TIER_TAG,
  bucketDefinition,
  createTableInput,
  queueDefinitions,
  tableDefinitions,
  TIER_NAMES,
  type TierName,
} from '@outpost/shared';
import { serviceNames, STOP_TIMEOUT_SECONDS } from '../src/stacks/compute.js';
import { resolveStackConfig } from '../src/stacks/config.js';
import type { Statement } from '../src/stacks/iam.js';
import { synthStack, type Synthesized, type TfResource } from './helpers/synth.js';

const PREFIX = 'outpost-test';
const CONFIG = { env: 'test', region: 'eu-west-1', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' };
const names = serviceNames(PREFIX);
const DATA_SERVICES = ['dynamodb', 'sqs', 's3', 'ssm', 'kms', 'secretsmanager'];

let tf: Synthesized;

beforeAll(() => {
  // One synth shared by the whole file: it is the slow part.
  tf = synthStack(CONFIG).synthesized;
});

interface ContainerDefinition {
  name: string;
  essential: boolean;
  stopTimeout: number;
  environment: { name: string; value: string }[];
}
/** The service's own container: the one essential container (the collector sidecar is not). */
function container(service: TfResource): ContainerDefinition {
  const task = tf.deref(service.task_definition as string).body;
  const defs = JSON.parse(task.container_definitions as string) as ContainerDefinition[];
  const essential = defs.filter((d) => d.essential);
  expect(essential).toHaveLength(1);
  return essential[0]!;
}
const envOf = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

function rolePolicies(): { role: string; statements: Statement[] }[] {
  return Object.values(tf.all('aws_iam_role_policy')).map((p) => ({
    role: p.name as string,
    statements: (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement,
  }));
}
const statementsOf = (role: string) => {
  const hit = rolePolicies().find((p) => p.role === role);
  if (!hit) throw new Error(`no policy for role ${role}`);
  return hit.statements;
};

describe('AWS stack', () => {
  describe('queues', () => {
    it.each(queueDefinitions(PREFIX).map((d) => [d.tier, d] as const))('tier %s has a queue, a DLQ and a redrive policy', (_tier, def) => {
      const jobs = tf.find('aws_sqs_queue', 'name', def.name).body;
      const dlq = tf.find('aws_sqs_queue', 'name', def.dlqName).body;
      const redrive = JSON.parse(jobs.redrive_policy as string) as { deadLetterTargetArn: string; maxReceiveCount: number };
      expect(tf.deref(redrive.deadLetterTargetArn).body.name).toBe(def.dlqName);
      expect(redrive.maxReceiveCount).toBe(def.maxReceiveCount);
      expect(jobs.visibility_timeout_seconds).toBe(def.visibilityTimeoutSeconds);
      expect(jobs.message_retention_seconds).toBe(def.messageRetentionSeconds);
      expect(dlq.message_retention_seconds).toBe(def.dlqRetentionSeconds);
      expect([jobs.sqs_managed_sse_enabled, dlq.sqs_managed_sse_enabled]).toEqual([true, true]);
    });

    it('alarms on each DLQ holding any message and on each queue’s oldest message', () => {
      const alarms = Object.values(tf.all('aws_cloudwatch_metric_alarm'));
      for (const def of queueDefinitions(PREFIX)) {
        const on = (metric: string, queue: string) =>
          alarms.filter((a) => a.metric_name === metric && tf.deref((a.dimensions as { QueueName: string }).QueueName).body.name === queue);
        const [depth] = on('ApproximateNumberOfMessagesVisible', def.dlqName);
        expect(depth).toMatchObject({ threshold: 0, comparison_operator: 'GreaterThanThreshold', namespace: 'AWS/SQS' });
        expect(on('ApproximateAgeOfOldestMessage', def.name)).toHaveLength(1);
      }
    });
  });

  describe('tables', () => {
    it.each(Object.values(tableDefinitions(PREFIX)).map((d) => [d.id, d] as const))('%s matches the shared definition', (_id, def) => {
      const table = tf.find('aws_dynamodb_table', 'name', def.name).body;
      expect(table.hash_key).toBe(def.partitionKey.name);
      expect(table.range_key).toBe(def.sortKey?.name);
      const input = createTableInput(def);
      expect(table.attribute).toEqual(input.AttributeDefinitions!.map((a) => ({ name: a.AttributeName, type: a.AttributeType })));
      const indexes = (table.global_secondary_index as TfResource[] | undefined) ?? [];
      expect(indexes.map((i) => [i.name, i.hash_key, i.range_key, i.projection_type])).toEqual(
        def.indexes.map((i) => [i.name, i.partitionKey.name, i.sortKey?.name, 'ALL']),
      );
      expect(table.ttl).toEqual(def.ttlAttribute ? { attribute_name: def.ttlAttribute, enabled: true } : undefined);
      expect(table).toMatchObject({
        billing_mode: 'PAY_PER_REQUEST',
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
      });
    });

    it('has no table the shared definitions lack', () => {
      expect(Object.keys(tf.all('aws_dynamodb_table'))).toHaveLength(Object.keys(tableDefinitions(PREFIX)).length);
    });
  });

  describe('artifact bucket', () => {
    const bucketName = bucketDefinition(PREFIX).name;

    const attached = (type: string) => {
      const { id } = tf.find('aws_s3_bucket', 'bucket', bucketName);
      return Object.values(tf.all(type)).filter((r) => tf.deref(r.bucket as string).id === id);
    };

    it('blocks every kind of public access', () => {
      expect(attached('aws_s3_bucket_public_access_block')).toEqual([
        expect.objectContaining({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true }),
      ]);
    });

    it('denies any request not made over TLS and encrypts at rest', () => {
      const [policy] = attached('aws_s3_bucket_policy');
      const statements = (JSON.parse(policy!.policy as string) as { Statement: Statement[] & { Principal: unknown }[] }).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(attached('aws_s3_bucket_server_side_encryption_configuration')).toHaveLength(1);
    });

    it('expires tagged artifacts by their tier’s retention and untagged ones by the longest', () => {
      const tiers = resolveStackConfig(CONFIG).tierTable;
      const [lifecycle] = attached('aws_s3_bucket_lifecycle_configuration');
      const rules = lifecycle!.rule as { id: string; filter: unknown[]; expiration: { days: number }[] }[];
      for (const tier of TIER_NAMES) {
        const rule = rules.find((r) => JSON.stringify(r.filter).includes(`"${ARTIFACT_TIER_TAG}":"${tier}"`));
        expect(rule?.expiration).toEqual([{ days: tiers[tier].retentionDays }]);
      }
      const untagged = rules.find((r) => r.id === 'expire-untagged');
      expect(untagged?.expiration).toEqual([{ days: Math.max(...TIER_NAMES.map((t) => tiers[t].retentionDays)) }]);
    });
  });

  describe('IAM', () => {
    it('allows no wildcard action anywhere', () => {
      const actions = rolePolicies().flatMap((p) => p.statements.flatMap((s) => s.Action));
      expect(actions.length).toBeGreaterThan(20);
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    });

    it('never grants data access on a wildcard resource', () => {
      const offenders = rolePolicies().flatMap((p) =>
        p.statements
          .filter((s) => s.Action.some((a) => DATA_SERVICES.includes(a.split(':')[0]!)))
          .filter((s) => s.Resource.some((r) => r === '*' || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(r)))
          .map((s) => `${p.role}/${s.Sid}`),
      );
      expect(offenders).toEqual([]);
    });

    it('grants a "*" resource only where AWS has no resource-level permissions (ECR token, X-Ray puts)', () => {
      const starred = rolePolicies().flatMap((p) => p.statements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action));
      expect(new Set(starred)).toEqual(
        new Set(['ecr:GetAuthorizationToken', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets']),
      );
    });

    it.each(TIER_NAMES.map((t) => [t]))('a %s worker consumes only its own tier’s queue', (tier) => {
      const sqs = statementsOf(`${PREFIX}-worker-${tier}-task`).filter((s) => s.Action.some((a) => a.startsWith('sqs:')));
      const queues = sqs.flatMap((s) => s.Resource).map((r) => tf.deref(r).body.name);
      expect(queues).toEqual([`${PREFIX}-${tier}-jobs`]);
    });

    it('a worker reads secrets only under its environment’s tenants path', () => {
      // Allows only: the webhooks path is an explicit Deny (webhook-iam.ts).
      const ssm = statementsOf(`${PREFIX}-worker-free-task`).filter((s) => s.Effect === 'Allow' && s.Action.some((a) => a.startsWith('ssm:')));
      for (const r of ssm.flatMap((s) => s.Resource)) expect(r).toMatch(/:parameter\/outpost\/test\/tenants(\/\*)?$/);
    });

    it('the edge may list tenant secrets under its environment’s path (to check names at dispatch) but decrypt none', () => {
      const edge = statementsOf(`${PREFIX}-edge-task`);
      const ssm = edge.filter((s) => s.Action.some((a) => a.startsWith('ssm:')));
      expect(ssm.flatMap((s) => s.Action)).toEqual(['ssm:GetParametersByPath']);
      for (const r of ssm.flatMap((s) => s.Resource)) expect(r).toMatch(/:parameter\/outpost\/test\/tenants(\/\*)?$/);
      expect(edge.flatMap((s) => s.Action).filter((a) => a.startsWith('kms:'))).toEqual([]);
    });

    it('the dispatcher may update and describe the worker services only', () => {
      const ecs = statementsOf(`${PREFIX}-dispatcher-task`).filter((s) => s.Action.some((a) => a.startsWith('ecs:')));
      expect(ecs.flatMap((s) => s.Action).sort()).toEqual(['ecs:DescribeServices', 'ecs:UpdateService']);
      const services = ecs.flatMap((s) => s.Resource).map((r) => r.split(`:service/${names.cluster}/`)[1]);
      expect(services).toEqual(TIER_NAMES.map((t) => names.worker(t)));
    });

    it('the edge sends to every tier queue but receives from none', () => {
      const sqsActions = statementsOf(`${PREFIX}-edge-task`).flatMap((s) => s.Action.filter((a) => a.startsWith('sqs:')));
      expect(sqsActions).toContain('sqs:SendMessage');
      expect(sqsActions).not.toContain('sqs:ReceiveMessage');
    });
  });

  describe('services', () => {
    const workerService = (tier: TierName) => tf.find('aws_ecs_service', 'name', names.worker(tier)).body;
    const providerOf = (s: TfResource) => (s.capacity_provider_strategy as { capacity_provider: string }[]).map((c) => c.capacity_provider);

    it.each(TIER_NAMES.map((t) => [t]))('tier %s has a worker service whose desired count Terraform ignores', (tier) => {
      const service = workerService(tier);
      expect(service.lifecycle).toEqual({ ignore_changes: ['desired_count'] });
      const c = container(service);
      expect(envOf(c)).toMatchObject({ OUTPOST_MODE: 'aws', OUTPOST_ENV: 'test', OUTPOST_PREFIX: PREFIX, AWS_REGION: 'eu-west-1', OUTPOST_WORKER_TIER: tier, OUTPOST_AGENT_USER: 'agent' });
      expect(c.stopTimeout).toBe(STOP_TIMEOUT_SECONDS);
    });

    it('runs the free tier on Fargate Spot and the others on Fargate', () => {
      expect(providerOf(workerService('free'))).toEqual(['FARGATE_SPOT']);
      expect(providerOf(workerService('pro'))).toEqual(['FARGATE']);
      expect(providerOf(workerService('enterprise'))).toEqual(['FARGATE']);
    });

    it('the cluster offers both Fargate and Fargate Spot', () => {
      const [cp] = Object.values(tf.all('aws_ecs_cluster_capacity_providers'));
      expect(cp?.capacity_providers).toEqual(['FARGATE', 'FARGATE_SPOT']);
    });

    it('runs one dispatcher and manages the edge and dispatcher counts itself', () => {
      const dispatcher = tf.find('aws_ecs_service', 'name', names.dispatcher).body;
      expect(dispatcher.desired_count).toBe(1);
      // The dispatcher finds the worker services by this cluster and name pattern.
      const env = envOf(container(dispatcher));
      expect(env.OUTPOST_ECS_CLUSTER).toBe(names.cluster);
      for (const tier of TIER_NAMES) {
        const name = env.OUTPOST_ECS_SERVICE_PATTERN!.replace('{prefix}', PREFIX).replace('{tier}', tier);
        expect(tf.find('aws_ecs_service', 'name', name).body.cluster).toBe(tf.find('aws_ecs_service', 'name', names.edge).body.cluster);
      }
      expect(dispatcher.lifecycle).toBeUndefined();
      expect(tf.find('aws_ecs_service', 'name', names.edge).body.lifecycle).toBeUndefined();
    });

    it('puts the edge behind an HTTPS listener with the configured certificate', () => {
      const edge = tf.find('aws_ecs_service', 'name', names.edge).body;
      const [lb] = edge.load_balancer as { target_group_arn: string }[];
      const targetGroup = tf.deref(lb!.target_group_arn).id;
      const https = tf.find('aws_lb_listener', 'protocol', 'HTTPS').body;
      expect(https).toMatchObject({ port: 443, certificate_arn: CONFIG.certificateArn });
      expect(tf.deref((https.default_action as { target_group_arn: string }[])[0]!.target_group_arn).id).toBe(targetGroup);
      expect(container(edge).stopTimeout).toBe(STOP_TIMEOUT_SECONDS);
    });
  });

  describe('network', () => {
    it('spreads public and private subnets over two AZs with S3 and DynamoDB gateway endpoints', () => {
      const subnets = Object.values(tf.all('aws_subnet'));
      expect(subnets.map((s) => (s.tags as { tier: string }).tier).sort()).toEqual(['private', 'private', 'public', 'public']);
      const endpoints = Object.values(tf.all('aws_vpc_endpoint'));
      expect(endpoints.map((e) => [e.service_name, e.vpc_endpoint_type]).sort()).toEqual([
        ['com.amazonaws.eu-west-1.dynamodb', 'Gateway'],
        ['com.amazonaws.eu-west-1.s3', 'Gateway'],
      ]);
      const privateTables = Object.values(tf.all('aws_route_table_association'))
        .filter((a) => (tf.deref(a.subnet_id as string).body.tags as { tier: string }).tier === 'private')
        .map((a) => a.route_table_id);
      for (const e of endpoints) expect([...(e.route_table_ids as string[])].sort()).toEqual([...privateTables].sort());
      expect(Object.keys(tf.all('aws_nat_gateway'))).toHaveLength(1);
    });
  });
});

describe('stack config', () => {
  it('defaults the prefix from the env name', () => {
    expect(resolveStackConfig({ env: 'staging' }).prefix).toBe('outpost-staging');
  });

  it('refuses a malformed env name and a bad tier override', () => {
    expect(() => resolveStackConfig({ env: 'Prod!' })).toThrow(/env/);
    expect(() => resolveStackConfig({ tiers: { free: { minWorkers: 5, maxWorkers: 1 } } })).toThrow(/minWorkers/);
  });

  it('tier overrides reach the services and the fleet layout', () => {
    const { synthesized } = synthStack({ ...CONFIG, tiers: { pro: { spot: true, minWorkers: 2 } } });
    const pro = synthesized.find('aws_ecs_service', 'name', names.worker('pro')).body;
    expect(pro.capacity_provider_strategy).toEqual([{ capacity_provider: 'FARGATE_SPOT', weight: 1 }]);
    expect(pro.desired_count).toBe(2);
    const task = synthesized.deref(pro.task_definition as string).body;
    const [c] = JSON.parse(task.container_definitions as string) as ContainerDefinition[];
    expect(JSON.parse(envOf(c!).OUTPOST_TIERS!)).toEqual({ pro: { spot: true, minWorkers: 2 } });
  });

  it('turns the edge\'s OAuth sign-in on with a domain (the issuer is https://{domain}), or trusts a configured OpenID provider', () => {
    const edgeEnv = (t: Synthesized) => {
      const task = t.deref(t.find('aws_ecs_service', 'name', names.edge).body.task_definition as string).body;
      const [c] = JSON.parse(task.container_definitions as string) as ContainerDefinition[];
      return envOf(c!);
    };
    expect(edgeEnv(tf)).not.toHaveProperty('OUTPOST_EDGE_PUBLIC_URL');
    const oauth = { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', tenantClaim: 'custom:outpost_tenant' };
    expect(edgeEnv(synthStack({ ...CONFIG, domain: 'outpost.acme.dev', oauth }).synthesized)).toMatchObject({
      OUTPOST_EDGE_PUBLIC_URL: 'https://outpost.acme.dev',
      OUTPOST_OAUTH_ISSUER: oauth.issuer,
      OUTPOST_OAUTH_TENANT_CLAIM: oauth.tenantClaim,
    });
  });

  it('asks for the certificate at apply time when the config has none', () => {
    const { synthesized } = synthStack({ env: 'test' });
    expect(synthesized.json.variable).toHaveProperty('certificate_arn');
    expect(synthesized.find('aws_lb_listener', 'protocol', 'HTTPS').body.certificate_arn).toBe('${var.certificate_arn}');
  });
});
