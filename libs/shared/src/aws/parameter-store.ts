import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * SSM Parameter Store as the services use it: BYOK secrets (SecureString) and ops overrides.
 * In local mode a JSON file under OUTPOST_HOME stands in, with the same interface.
 */
export interface ParameterStore {
  get(name: string): Promise<string | undefined>;
  /** Every parameter under a path prefix (recursive), keyed by full name. */
  getByPath(prefix: string): Promise<Record<string, string>>;
  /**
   * Full names of the parameters under a path prefix (recursive) that hold a non-empty value,
   * without decrypting any: the edge checks which secrets a tenant stored and never sees one.
   */
  names(prefix: string): Promise<string[]>;
  /** `keyId`: the KMS key of a SecureString (SSM only; the workers may decrypt with the stack's key only). */
  put(name: string, value: string, options?: { secure?: boolean; keyId?: string }): Promise<void>;
}

/** SSM-backed store (aws mode). Secure values are decrypted on read. */
export class SsmParameterStore implements ParameterStore {
  constructor(private readonly ssm: SSMClient) {}

  async get(name: string): Promise<string | undefined> {
    try {
      const out = await this.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return out.Parameter?.Value;
    } catch (err) {
      if (err instanceof Error && err.name === 'ParameterNotFound') return undefined;
      throw err;
    }
  }

  async getByPath(prefix: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    let next: string | undefined;
    do {
      const page = await this.ssm.send(
        new GetParametersByPathCommand({ Path: prefix, Recursive: true, WithDecryption: true, ...(next ? { NextToken: next } : {}) }),
      );
      for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) out[p.Name] = p.Value;
      next = page.NextToken;
    } while (next);
    return out;
  }

  /** SecureString values come back encrypted (WithDecryption false), so no kms:Decrypt is needed or used. */
  async names(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.ssm.send(
        new GetParametersByPathCommand({ Path: prefix, Recursive: true, WithDecryption: false, ...(next ? { NextToken: next } : {}) }),
      );
      for (const p of page.Parameters ?? []) if (p.Name && p.Value) out.push(p.Name);
      next = page.NextToken;
    } while (next);
    return out;
  }

  async put(name: string, value: string, options: { secure?: boolean; keyId?: string } = {}): Promise<void> {
    await this.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: options.secure ? 'SecureString' : 'String',
        ...(options.secure && options.keyId ? { KeyId: options.keyId } : {}),
        Overwrite: true,
      }),
    );
  }
}

const fileWrites = new Map<string, Promise<void>>();

/** File-backed store (local mode): one JSON object, file mode 0600, written atomically. */
export class FileParameterStore implements ParameterStore {
  constructor(private readonly file: string) {}

  async get(name: string): Promise<string | undefined> {
    return (await this.read())[name];
  }

  async getByPath(prefix: string): Promise<Record<string, string>> {
    const all = await this.read();
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(p)));
  }

  async names(prefix: string): Promise<string[]> {
    return Object.entries(await this.getByPath(prefix))
      .filter(([, value]) => value.length > 0)
      .map(([name]) => name);
  }

  /** `secure` is accepted for the interface; the whole file is 0600 anyway. */
  async put(name: string, value: string, _options?: { secure?: boolean }): Promise<void> {
    // Read-modify-write of one file: serialize writers in this process (every instance on the
    // same file shares the chain), or concurrent puts lose each other's values.
    const file = path.resolve(this.file);
    const previous = fileWrites.get(file) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.write(name, value));
    fileWrites.set(file, next);
    try {
      await next;
    } finally {
      if (fileWrites.get(file) === next) fileWrites.delete(file);
    }
  }

  private async write(name: string, value: string): Promise<void> {
    const all = await this.read();
    all[name] = value;
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  private async read(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null) return {};
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }
}

/** SSM paths of Outpost parameters. */
export const parameterPaths = {
  tenantSecrets: (env: string, tenantId: string) => `/outpost/${env}/tenants/${tenantId}/`,
  tenantSecret: (env: string, tenantId: string, name: string) => `/outpost/${env}/tenants/${tenantId}/${name}`,
  fleet: (env: string) => `/outpost/${env}/fleet/`,
  fleetTier: (env: string, tier: string) => `/outpost/${env}/fleet/${tier}`,
};

/** Local files standing in for SSM, under OUTPOST_HOME. */
export const LOCAL_PARAMETER_FILES = { secrets: 'secrets.json', fleet: 'fleet.json' } as const;

/**
 * The parameter store of the mode: SSM in aws mode; in local mode the named file under
 * OUTPOST_HOME (`secrets.json` for BYOK secrets, `fleet.json` for fleet overrides).
 */
export function openParameterStore(
  config: { mode: 'local' | 'aws'; home: string; region: string },
  localFile: keyof typeof LOCAL_PARAMETER_FILES,
  ssm: () => SSMClient = () => new SSMClient({ region: config.region }),
): ParameterStore {
  return config.mode === 'aws' ? new SsmParameterStore(ssm()) : new FileParameterStore(path.join(config.home, LOCAL_PARAMETER_FILES[localFile]));
}
