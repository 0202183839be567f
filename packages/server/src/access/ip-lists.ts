// IP allow/deny lists: ranges from the configuration plus ranges kept in the store (so every
// instance sees a change), held per instance in a snapshot that is re-read at most every
// `cacheTtlSeconds` (no store read per request) and dropped at once on a change made here.
// A deny-listed client is refused (403 `ip_denied`) before any other work; an allow-listed one
// skips the rate limits. CIDR parsing and matching are ipaddr.js's.
import ipaddr from 'ipaddr.js';
import * as v from 'valibot';
import { integer, parseOptions } from '../config/validate.js';
import { authError } from '../errors.js';
import type { PinoLikeLogger } from '../events.js';
import { inIpRanges, normaliseIp, parseIp, parseIpRange, type IpRange } from '../proxy.js';
import type { RateLimits } from '../rate-limit.js';
import type { AuthStore } from '../store.js';

/**
 * Which list a rule is on: `allow` (never rate-limited; the allow list of
 * `requireAuth({ allowListedIp: true })`) or `deny` (refused with 403 `ip_denied`).
 *
 * @example
 * ```ts
 * const list: IpListName = 'deny';
 * ```
 */
export type IpListName = 'allow' | 'deny';

/**
 * One allow- or deny-list entry.
 *
 * @example
 * ```ts
 * const rule: IpRule = { list: 'deny', cidr: '203.0.113.0/24', note: 'abuse', createdAt: Date.now(), expiresAt: null, source: 'store' };
 * ```
 */
export interface IpRule {
  /** The list it is on. */
  list: IpListName;
  /** The canonical range: network address and prefix length (`203.0.113.0/24`, `2001:db8::/64`;
   *  a single address is `/32` or `/128`). */
  cidr: string;
  /** Free text for operators (why, who), or `null`. */
  note: string | null;
  /** When it was added, epoch ms. */
  createdAt: number;
  /** When it stops applying, epoch ms; `null`: never. */
  expiresAt: number | null;
  /** `config`: from the `ipLists` option (not removable at runtime); `store`: added at runtime. */
  source: 'config' | 'store';
}

/**
 * Store support for runtime IP lists (memory, Redis, Postgres, Durable Object stores implement
 * it). Optional on an {@link AuthStore}: without it, only the configured lists apply and
 * `auth.ipLists.allow/deny/remove` throw a TypeError.
 *
 * @example
 * ```ts
 * await store.putIpRule({ list: 'deny', cidr: '198.51.100.7/32', note: null, createdAt: Date.now(), expiresAt: null });
 * ```
 */
export interface IpListStore {
  /** Add a rule, or replace the rule of the same list and range. */
  putIpRule(rule: StoredIpRule): Promise<void>;
  /** Remove the rule of `list` and `cidr`; `false` when there was none. */
  removeIpRule(list: IpListName, cidr: string): Promise<boolean>;
  /** Every rule that has not expired at `now` (expired ones may be dropped as a side effect). */
  listIpRules(now: number): Promise<StoredIpRule[]>;
}

/**
 * An {@link IpRule} as a store keeps it (without `source`).
 *
 * @example
 * ```ts
 * const stored: StoredIpRule = { list: 'allow', cidr: '10.0.0.0/8', note: 'monitoring', createdAt: 0, expiresAt: null };
 * ```
 */
export type StoredIpRule = Omit<IpRule, 'source'>;

/**
 * The `ipLists` option of `createEvrmoreAuth`.
 *
 * @example
 * ```ts
 * const ipLists: IpListsConfig = { allow: ['10.0.0.0/8'], deny: ['203.0.113.0/24'], cacheTtlSeconds: 5 };
 * ```
 */
export interface IpListsConfig {
  /** Addresses and CIDR ranges (IPv4, IPv6) that are never rate-limited. @default [] */
  allow?: string[];
  /** Addresses and CIDR ranges refused with 403 `ip_denied` before any work. @default [] */
  deny?: string[];
  /**
   * How long an instance uses its copy of the store's lists before reading them again, so a
   * change made on another instance applies within this many seconds (a change made through
   * this instance applies at once). 0 reads the store on every check.
   * @default 5
   */
  cacheTtlSeconds?: number;
}

/**
 * Options of `auth.ipLists.allow` / `deny`.
 *
 * @example
 * ```ts
 * await auth.ipLists.deny('203.0.113.7', { expiresInSeconds: 3600, note: 'credential stuffing' });
 * ```
 */
export interface IpRuleOptions {
  /** The rule ends after this many seconds. @default never */
  expiresInSeconds?: number;
  /** Free text kept with the rule (at most 512 characters). @default none */
  note?: string;
}

/**
 * `auth.ipLists`: the allow and deny lists at runtime. Changes go to the store, so every
 * instance sharing it applies them within `ipLists.cacheTtlSeconds` (this one at once).
 *
 * @example
 * ```ts
 * await auth.ipLists.allow('10.20.0.0/16', { note: 'monitoring' });
 * await auth.ipLists.deny('2001:db8:bad::/48', { expiresInSeconds: 86_400 });
 * await auth.ipLists.remove('10.20.0.0/16');
 * const rules = await auth.ipLists.list();
 * ```
 */
export interface IpLists {
  /** Put an address or range on the allow list (replacing the same range's rule); throws
   *  {@link InvalidIpRangeError} for input that is not one. */
  allow(cidr: string, options?: IpRuleOptions): Promise<IpRule>;
  /** Put an address or range on the deny list (replacing the same range's rule); throws
   *  {@link InvalidIpRangeError} for input that is not one. */
  deny(cidr: string, options?: IpRuleOptions): Promise<IpRule>;
  /** Remove a runtime rule from `list` (both lists when omitted); `true` when one was removed. */
  remove(cidr: string, list?: IpListName): Promise<boolean>;
  /** Every rule in force: the configured ones (`source: 'config'`), then the store's. */
  list(): Promise<IpRule[]>;
  /** What applies to `ip`: `deny` (a deny rule matches; it wins over allow), `allow`, or `null`. */
  check(ip: string): Promise<IpListName | null>;
}

/**
 * Thrown for an IP address or CIDR range that does not parse (`auth.ipLists.*`, the `ipLists`
 * option reports it as a TypeError naming the entry). A `TypeError`.
 *
 * @example
 * ```ts
 * try { await auth.ipLists.deny('10.0.0.0/33'); } catch (e) { e instanceof InvalidIpRangeError; }
 * ```
 */
export class InvalidIpRangeError extends TypeError {
  /** Always `InvalidIpRangeError`. */
  override readonly name = 'InvalidIpRangeError';
  /** Always `invalid_ip_range`. */
  readonly code = 'invalid_ip_range';
  /** The input that was refused. */
  readonly input: unknown;
  constructor(input: unknown, where = 'ipLists') {
    super(
      `${where}: ${JSON.stringify(typeof input === 'string' ? input.slice(0, 100) : String(input))} is not an IP address or CIDR range (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/64)`,
    );
    this.input = input;
  }
}

/**
 * The canonical form of an address or CIDR range: the network address and prefix length, IPv6
 * compressed and lower case, IPv4-mapped IPv6 as IPv4 (`::ffff:10.0.0.1` → `10.0.0.1/32`,
 * `2001:DB8:0::1/64` → `2001:db8::/64`). Throws {@link InvalidIpRangeError}.
 */
export function canonicalCidr(input: unknown, where?: string): string {
  if (typeof input !== 'string' || input.length > 100) throw new InvalidIpRangeError(input, where);
  const text = input.trim();
  const range = parseIpRange(text);
  if (range === null) throw new InvalidIpRangeError(input, where);
  const [address, bits] = range;
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

interface Snapshot {
  deny: IpRange[];
  allow: IpRange[];
  rules: IpRule[];
  /** When it was read (config clock), ms; the store is read again after the TTL. */
  loadedAt: number;
}

/** The per-instance IP-list runtime: decisions for the request path, the public API. Internal. */
export interface IpGate {
  /** `deny`, `allow` or `null` for a client IP (`null` IP: `null`). Synchronous while the
   *  snapshot is fresh. */
  decide(ip: string | null): IpListName | null | Promise<IpListName | null>;
  /** Refuse a deny-listed IP (403 `ip_denied`), or (with `allowListedOnly`) one that is not on
   *  the allow list. */
  enforce(
    ip: string | null,
    options?: { allowListedOnly?: boolean | undefined },
  ): void | Promise<void>;
  /** Whether anything can ever be denied (configured rules or a store that keeps rules). */
  readonly active: boolean;
  /**
   * `true` when {@link enforce} would let every client through without a look at its IP or the
   * store: no deny rule in a fresh copy of the lists (and not `allowListedOnly`). The request
   * path asks this first, so a deployment without deny rules parses no IP per request.
   */
  quiet(allowListedOnly?: boolean): boolean;
  /** `auth.ipLists`. */
  api: IpLists;
}

const IP_LISTS = v.object({
  allow: v.optional(v.array(v.unknown(), 'must be an array of addresses or CIDR ranges'), []),
  deny: v.optional(v.array(v.unknown(), 'must be an array of addresses or CIDR ranges'), []),
  cacheTtlSeconds: v.optional(integer(0, 3_600), 5),
});

const RULE_OPTIONS = v.object({
  expiresInSeconds: v.optional(integer(1, 31_536_000)),
  note: v.optional(
    v.pipe(v.string('must be a string'), v.maxLength(512, 'must be at most 512 characters')),
  ),
});

function hasIpListStore(store: AuthStore): store is AuthStore & IpListStore {
  const s = store as Partial<IpListStore>;
  return (
    typeof s.putIpRule === 'function' &&
    typeof s.removeIpRule === 'function' &&
    typeof s.listIpRules === 'function'
  );
}

/**
 * Build the gate from the `ipLists` option (validated here: a TypeError naming the entry) and
 * the store.
 */
export function createIpGate(
  config: IpListsConfig | undefined,
  store: AuthStore,
  options: { now: () => number; logger?: PinoLikeLogger | undefined },
): IpGate {
  const c = parseOptions('createEvrmoreAuth', IP_LISTS, config ?? {}, { root: 'ipLists' });
  const configured: IpRule[] = [];
  for (const list of ['allow', 'deny'] as const)
    c[list].forEach((entry, i) => {
      const cidr = canonicalCidr(entry, `createEvrmoreAuth: ipLists.${list}[${i}]`);
      configured.push({ list, cidr, note: null, createdAt: 0, expiresAt: null, source: 'config' });
    });
  const shared = hasIpListStore(store) ? store : null;
  const ttlMs = c.cacheTtlSeconds * 1000;
  const { now, logger } = options;

  const build = (stored: StoredIpRule[], loadedAt: number): Snapshot => {
    const rules = [...configured, ...stored.map((r) => ({ ...r, source: 'store' as const }))];
    const snap: Snapshot = { deny: [], allow: [], rules, loadedAt };
    for (const r of rules) {
      const range = typeof r.cidr === 'string' ? parseIpRange(r.cidr) : null;
      if (range !== null) snap[r.list].push(range);
      // a rule the store holds that does not parse (edited by hand): skipped, never fatal
      else logger?.warn({ cidr: r.cidr }, 'evrmore-auth: ignoring an IP rule that does not parse');
    }
    return snap;
  };

  let snapshot: Snapshot | null = shared === null ? build([], 0) : null;
  let loading: Promise<Snapshot> | null = null;
  /** Bumped by every change made here: a read that started before it is not kept. */
  let generation = 0;

  const load = (): Promise<Snapshot> => {
    if (loading) return loading;
    const started = generation;
    const at = now();
    loading = shared!
      .listIpRules(at)
      .then(
        (stored) => {
          const next = build(stored, at);
          if (started === generation) snapshot = next;
          return next;
        },
        (err: unknown) => {
          // A store outage: keep deciding from the last copy (retried after the TTL); with no
          // copy yet, fail closed (503 `unavailable`).
          if (snapshot === null) throw err;
          logger?.warn({}, 'evrmore-auth: IP lists could not be re-read; using the last copy');
          snapshot = { ...snapshot, loadedAt: at };
          return snapshot;
        },
      )
      .finally(() => {
        loading = null;
      });
    return loading;
  };

  const decideIn = (snap: Snapshot, ip: string | null): IpListName | null => {
    if (ip === null || (snap.deny.length === 0 && snap.allow.length === 0)) return null;
    const address = parseIp(ip);
    if (address === null) return null;
    if (inIpRanges(address, snap.deny)) return 'deny';
    if (inIpRanges(address, snap.allow)) return 'allow';
    return null;
  };

  const decide = (ip: string | null): IpListName | null | Promise<IpListName | null> => {
    if (ip === null) return null;
    const snap = snapshot;
    if (snap !== null && (shared === null || now() - snap.loadedAt < ttlMs))
      return decideIn(snap, ip);
    return load().then((s) => decideIn(s, ip));
  };

  const refuse = (decision: IpListName | null, allowListedOnly: boolean | undefined): void => {
    if (decision === 'deny' || (allowListedOnly === true && decision !== 'allow'))
      throw authError('ip_denied');
  };

  const requireShared = (what: string): AuthStore & IpListStore => {
    if (shared === null)
      throw new TypeError(
        `ipLists.${what}: the store (${store.name}) does not keep IP lists; use the ipLists option`,
      );
    return shared;
  };

  const changed = (): void => {
    generation++;
    snapshot = null;
  };

  const put = async (
    list: IpListName,
    input: string,
    opts: IpRuleOptions = {},
  ): Promise<IpRule> => {
    const cidr = canonicalCidr(input, `ipLists.${list}`);
    const o = parseOptions(`ipLists.${list}`, RULE_OPTIONS, opts ?? {});
    const s = requireShared(list);
    const at = now();
    const rule: StoredIpRule = {
      list,
      cidr,
      note: o.note ?? null,
      createdAt: at,
      expiresAt: o.expiresInSeconds === undefined ? null : at + o.expiresInSeconds * 1000,
    };
    await s.putIpRule(rule);
    changed();
    return { ...rule, source: 'store' };
  };

  const api: IpLists = {
    allow: (cidr, opts) => put('allow', cidr, opts),
    deny: (cidr, opts) => put('deny', cidr, opts),
    async remove(input, list) {
      const cidr = canonicalCidr(input, 'ipLists.remove');
      if (list !== undefined && list !== 'allow' && list !== 'deny')
        throw new TypeError('ipLists.remove: list must be "allow" or "deny"');
      const s = requireShared('remove');
      let removed = false;
      for (const l of list === undefined ? (['allow', 'deny'] as const) : [list])
        if (await s.removeIpRule(l, cidr)) removed = true;
      changed();
      return removed;
    },
    async list() {
      if (shared === null) return [...configured];
      return [...(await load()).rules];
    },
    async check(ip) {
      const normal = normaliseIp(ip);
      if (normal === null) throw new InvalidIpRangeError(ip, 'ipLists.check');
      return decide(normal);
    },
  };

  const active = shared !== null || configured.length > 0;
  return {
    decide,
    enforce(ip, opts = {}) {
      const d = decide(ip);
      if (d instanceof Promise) return d.then((x) => refuse(x, opts.allowListedOnly));
      refuse(d, opts.allowListedOnly);
    },
    active,
    quiet(allowListedOnly) {
      if (allowListedOnly === true) return false;
      if (!active) return true;
      const snap = snapshot;
      return (
        snap !== null &&
        snap.deny.length === 0 &&
        (shared === null || now() - snap.loadedAt < ttlMs)
      );
    },
    api,
  };
}

/** The rate limits, skipped for an allow-listed client IP (monitoring, internal services). */
export function bypassForAllowed(limits: RateLimits, gate: IpGate): RateLimits {
  const allowed = async (ip: string | null): Promise<boolean> =>
    (await gate.decide(ip)) === 'allow';
  return {
    async check(route, key) {
      if (!(await allowed(key.ip))) await limits.check(route, key);
    },
    async checkAddress(route, key) {
      if (!(await allowed(key.ip))) await limits.checkAddress(route, key);
    },
    async recordFailure(kind, key) {
      if (!(await allowed(key.ip))) await limits.recordFailure(kind, key);
    },
    recordSuccess: (kind, key) => limits.recordSuccess(kind, key),
    // failed API-key attempts (PROTOCOL.md §13): an allow-listed client is never locked out
    async checkApiKey(key) {
      if (!(await allowed(key.ip))) await limits.checkApiKey(key);
    },
    async recordApiKeyFailure(key) {
      if (!(await allowed(key.ip))) await limits.recordApiKeyFailure(key);
    },
  };
}
