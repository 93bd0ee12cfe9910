import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * `.outpost/credentials.json`: the one key pair of a local stack. The emulators accept only
 * requests signed with it (SigV4); the services and admin commands sign with it; agents never
 * see it (they run as another user, and this file and its directory are the stack user's only).
 */
export const LocalCredentials = z.object({
  accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'upper-case letters and digits, 16 to 128 of them'),
  secretAccessKey: z.string().min(40, 'at least 40 characters'),
});
export type LocalCredentials = z.infer<typeof LocalCredentials>;

export function credentialsPath(home: string): string {
  return path.join(home, 'credentials.json');
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A fresh random key pair, shaped like AWS's (a 20-character key id, a 40-character secret). */
export function newLocalCredentials(): LocalCredentials {
  // 'OPLK' marks an Outpost local key; 16 base32 characters (80 bits) follow, unbiased (32 | 256).
  const id = [...randomBytes(16)].map((b) => BASE32[b & 31]).join('');
  return { accessKeyId: `OPLK${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/** The key pair in `home`, or undefined when the file is missing or not a key pair. */
export function readLocalCredentials(home: string): LocalCredentials | undefined {
  try {
    return LocalCredentials.parse(JSON.parse(readFileSync(credentialsPath(home), 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Writes `file` with mode 0600 through a new file renamed over the old one: the content is never
 * readable under the old file's (possibly wider) mode, and a crash never leaves half a file.
 */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Writes `home`/credentials.json (0600). */
export async function writeLocalCredentials(home: string, credentials: LocalCredentials): Promise<void> {
  await writePrivateFile(credentialsPath(home), `${JSON.stringify(LocalCredentials.parse(credentials), null, 2)}\n`);
}
