import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The fields fauxqs keeps per S3 object (fauxqs 1.9 `S3Store`). */
interface S3Object {
  key: string;
  body: Buffer;
  contentType: string;
  contentLength: number;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

interface S3StoreLike {
  buckets: Map<string, Map<string, S3Object>>;
  bucketCreationDates: Map<string, Date>;
  createBucket(name: string): void;
  deleteBucket(name: string): void;
}
type S3StoreClass = new () => S3StoreLike;

/**
 * fauxqs keeps S3 objects in memory only; Outpost's local mode promises that artifacts survive a
 * restart. fauxqs (pinned at 1.9.2) does not export its store class, so we load it from the
 * package's own dist and swap each bucket's object map for a write-through one on disk. Bodies
 * are read lazily, so the emulator's memory does not grow with the artifacts it holds.
 */
export async function createPersistentS3Store(dir: string): Promise<S3StoreLike> {
  const appUrl = import.meta.resolve('fauxqs');
  const { S3Store } = (await import(new URL('./s3/s3Store.js', appUrl).href)) as { S3Store: S3StoreClass };

  class PersistentS3Store extends S3Store {
    constructor() {
      super();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const name = decodeURIComponent(entry.name);
        this.buckets.set(name, new DiskObjectMap(path.join(dir, entry.name)));
        this.bucketCreationDates.set(name, new Date());
      }
    }
    override createBucket(name: string): void {
      if (this.buckets.has(name)) return;
      this.buckets.set(name, new DiskObjectMap(path.join(dir, encodeURIComponent(name))));
      this.bucketCreationDates.set(name, new Date());
    }
    override deleteBucket(name: string): void {
      super.deleteBucket(name);
      rmSync(path.join(dir, encodeURIComponent(name)), { recursive: true, force: true });
    }
  }
  return new PersistentS3Store();
}

/** A Map of key → object whose writes go to disk and whose bodies load on access. */
class DiskObjectMap extends Map<string, S3Object> {
  constructor(private readonly dir: string) {
    super();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const meta = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Omit<S3Object, 'body' | 'lastModified'> & { lastModified: string };
      super.set(meta.key, this.lazy({ ...meta, lastModified: new Date(meta.lastModified) }));
    }
  }

  override set(key: string, obj: S3Object): this {
    const base = this.file(key);
    const { body, ...meta } = obj;
    // 0600 from creation (a new tmp file each time); the launcher fixes files from older versions.
    writeFileSync(`${base}.bin.tmp`, body, { mode: 0o600 });
    renameSync(`${base}.bin.tmp`, `${base}.bin`);
    writeFileSync(`${base}.json.tmp`, JSON.stringify(meta), { mode: 0o600 });
    renameSync(`${base}.json.tmp`, `${base}.json`);
    return super.set(key, this.lazy(meta));
  }

  override delete(key: string): boolean {
    const base = this.file(key);
    for (const f of [`${base}.json`, `${base}.bin`]) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
    return super.delete(key);
  }

  override clear(): void {
    for (const key of [...this.keys()]) this.delete(key);
  }

  private lazy(meta: Omit<S3Object, 'body'>): S3Object {
    const file = `${this.file(meta.key)}.bin`;
    return Object.defineProperty({ ...meta } as S3Object, 'body', { get: () => readFileSync(file), enumerable: true });
  }

  private file(key: string): string {
    return path.join(this.dir, createHash('sha256').update(key).digest('hex'));
  }
}
