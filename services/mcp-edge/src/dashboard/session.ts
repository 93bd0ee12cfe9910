import type { IncomingMessage } from 'node:http';
import { SESSION_COOKIE, type SessionInfo } from '@outpost/dashboard-api';
import { type Clock, type SessionRecord, type SessionStore, type TenantStore } from '@outpost/shared';
import type { TenantContext } from '../auth.js';

export interface DashboardSessionsOptions {
  sessions: SessionStore;
  tenants: TenantStore;
  clock: Clock;
  /** Lifetime of a session. */
  ttlSeconds: number;
  /** Set `Secure` on the cookie (aws mode: served over TLS). */
  secureCookie: boolean;
  /** How long "this API key is not revoked" is trusted per key; a revoked key's sessions end within this. */
  keyCheckMs: number;
}

/** A signed-in request: the session and who it acts for. */
export interface SignedIn {
  session: SessionRecord;
  tenant: TenantContext;
}

interface KeyCheck {
  tenant: TenantContext | undefined;
  until: number;
}

/**
 * Dashboard sign-in: an API key becomes an opaque cookie (only its hash is stored). Every request
 * re-reads its session (so sign-out and `sessions revoke` act at once) and checks that the key that
 * signed in is still live, with a short per-key cache like the MCP authenticator's.
 */
export class DashboardSessions {
  private readonly keyChecks = new Map<string, KeyCheck>();

  constructor(private readonly opts: DashboardSessionsOptions) {}

  /** A new session for a live API key, or undefined (unknown, malformed or revoked key). */
  async signIn(apiKey: string): Promise<{ cookie: string; signedIn: SignedIn } | undefined> {
    const key = await this.opts.tenants.resolveApiKey(apiKey);
    if (!key) return undefined;
    const tenant = await this.opts.tenants.getTenant(key.tenantId);
    if (!tenant) return undefined;
    const { cookie, record } = await this.opts.sessions.create({
      tenantId: tenant.tenantId,
      keyHash: key.record.keyHash,
      ttlSeconds: this.opts.ttlSeconds,
    });
    return { cookie, signedIn: { session: record, tenant: { tenantId: tenant.tenantId, tier: tenant.tier } } };
  }

  /** The session of a request's cookie, or undefined (none, unknown, expired, revoked, or its key revoked). */
  async fromRequest(req: IncomingMessage): Promise<SignedIn | undefined> {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!cookie) return undefined;
    const session = await this.opts.sessions.getLive(cookie);
    if (!session) return undefined;
    const tenant = await this.checkKey(session);
    return tenant ? { session, tenant } : undefined;
  }

  /** Ends a session (sign-out). */
  async signOut(session: SessionRecord): Promise<void> {
    await this.opts.sessions.revoke(session.sessionHash);
  }

  /** The Set-Cookie value that starts a session. */
  setCookie(cookie: string): string {
    return cookieHeader(cookie, this.opts.ttlSeconds, this.opts.secureCookie);
  }

  /** The Set-Cookie value that ends one. */
  clearCookie(): string {
    return cookieHeader('', 0, this.opts.secureCookie);
  }

  private async checkKey(session: SessionRecord): Promise<TenantContext | undefined> {
    const now = this.opts.clock.now().getTime();
    const hit = this.keyChecks.get(session.keyHash);
    if (hit && hit.until > now) return hit.tenant;
    const key = await this.opts.tenants.getApiKey(session.keyHash);
    const tenant = key && !key.revokedAt && key.tenantId === session.tenantId ? await this.opts.tenants.getTenant(key.tenantId) : undefined;
    const value = tenant ? { tenantId: tenant.tenantId, tier: tenant.tier } : undefined;
    if (this.opts.keyCheckMs > 0) {
      if (this.keyChecks.size > 10_000) this.keyChecks.clear();
      this.keyChecks.set(session.keyHash, { tenant: value, until: now + this.opts.keyCheckMs });
    }
    return value;
  }
}

/** What `POST` and `GET /api/session` answer. */
export function sessionInfo(signedIn: SignedIn): SessionInfo {
  return {
    tenantId: signedIn.tenant.tenantId,
    tier: signedIn.tenant.tier,
    csrfToken: signedIn.session.csrfToken,
    expiresAt: signedIn.session.expiresAt,
  };
}

function cookieHeader(value: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** One cookie's value from a Cookie header (the first of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value.length > 0 ? value : undefined;
    }
  }
  return undefined;
}
