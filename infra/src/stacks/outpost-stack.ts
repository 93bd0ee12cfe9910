import type { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Alarms } from './alarms.js';
import { Compute } from './compute.js';
import type { ResolvedStackConfig } from './config.js';
import { Data } from './data.js';
import { Network } from './network.js';
import { collectorToken } from './telemetry.js';
import { Webhooks } from './webhooks.js';

/**
 * The whole AWS deployment of one environment, as one Terraform stack (cross-stack references
 * in cdktf need remote state plumbing that buys nothing at this size).
 */
export class OutpostStack extends TerraformStack {
  readonly network: Network;
  readonly data: Data;
  readonly compute: Compute;
  readonly webhooks: Webhooks;

  constructor(scope: Construct, id: string, readonly config: ResolvedStackConfig) {
    super(scope, id);
    new AwsProvider(this, 'aws', {
      region: config.region,
      defaultTags: [{ tags: { project: 'outpost', 'outpost:env': config.env } }],
    });
    if (config.state) {
      new S3Backend(this, { bucket: config.state.bucket, key: config.state.key ?? `outpost/${config.env}.tfstate`, region: config.state.region ?? config.region, encrypt: true });
      // S3-native locking (Terraform ≥ 1.10, OpenTofu ≥ 1.10); the 0.21 bindings predate the option.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      // Relative, so the JSON carries no path of the machine that synthesized it.
      new LocalBackend(this, { path: 'terraform.tfstate' });
    }
    const identity = new DataAwsCallerIdentity(this, 'identity');
    const partition = new DataAwsPartition(this, 'partition');
    const certificateArn =
      config.certificateArn ??
      new TerraformVariable(this, 'certificate_arn', {
        type: 'string',
        description: 'ACM certificate ARN of the HTTPS listener (covers your domain, same region)',
      }).stringValue;

    this.network = new Network(this, 'network', config);
    this.data = new Data(this, 'data', config);
    // One token for every collector of the stack (telemetry.ts, CollectorToken).
    const token = collectorToken(this, 'collector-token', config);
    this.compute = new Compute(this, 'compute', {
      config,
      network: this.network,
      data: this.data,
      certificateArn,
      partition: partition.partition,
      account: identity.accountId,
      collectorToken: token,
    });
    new Alarms(this, 'alarms', config, this.data);
    this.webhooks = new Webhooks(this, 'webhooks', {
      config,
      data: this.data,
      network: this.network,
      arns: this.compute.arns,
      clusterArn: this.compute.cluster.arn,
      dispatcherRole: this.compute.roles.dispatcher,
      edgeRole: this.compute.roles.edge,
      collectorToken: token,
    });

    new TerraformOutput(this, 'load_balancer_dns', { value: this.compute.loadBalancer.dnsName });
    new TerraformOutput(this, 'mcp_url', {
      value: `https://${config.domain ?? this.compute.loadBalancer.dnsName}/mcp`,
      description: 'Point your domain (CNAME/alias) at load_balancer_dns; clients use this URL',
    });
    for (const [id, repo] of Object.entries(this.compute.repositories)) {
      new TerraformOutput(this, `ecr_${id}`, { value: repo.repositoryUrl });
    }
    new TerraformOutput(this, 'ecr_notifier', { value: this.webhooks.repositoryUrl });
    new TerraformOutput(this, 'cluster', { value: this.compute.cluster.name });
    new TerraformOutput(this, 'secrets_kms_alias', { value: this.data.secretsKeyAlias });
    new TerraformOutput(this, 'artifact_bucket', { value: this.data.bucket.bucket });
  }
}
