import { readFile } from 'node:fs/promises';

/**
 * The uid owning the client end of a loopback TCP connection, from the kernel's socket tables:
 * the row whose local port is the client's and whose remote port is ours. Undefined when the row
 * is not found (not Linux, or the client is gone).
 */
export async function peerUid(ourPort: number, clientPort: number, tables = ['/proc/net/tcp', '/proc/net/tcp6']): Promise<number | undefined> {
  const local = clientPort.toString(16).toUpperCase().padStart(4, '0');
  const remote = ourPort.toString(16).toUpperCase().padStart(4, '0');
  for (const table of tables) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid …
      const cols = line.trim().split(/\s+/);
      if (cols.length < 8 || !cols[1]?.endsWith(`:${local}`) || !cols[2]?.endsWith(`:${remote}`)) continue;
      const uid = Number(cols[7]);
      if (Number.isInteger(uid)) return uid;
    }
  }
  return undefined;
}
