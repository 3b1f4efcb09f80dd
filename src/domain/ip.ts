/**
 * IPv4 and IPv6 addresses and CIDRs, for `ip_allowlist` (docs/ARCHITECTURE.md#constraints) and trusted proxies.
 * An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) counts as its IPv4 address everywhere
 * (docs/ARCHITECTURE.md#constraints), in addresses and in allowlist entries alike.
 *
 * Parsing is hand-rolled and strict: dotted-decimal IPv4 only, and no leading zeros, since
 * `010.0.0.1` means 8.0.0.1 to some parsers and 10.0.0.1 to others.
 */
import { invalidArgument } from './errors.js';

/** Longest allowlist entry, e.g. a full IPv6 address with an embedded IPv4 and a prefix. */
export const MAX_IP_ENTRY_LENGTH = 64;

/** A compiled list of addresses and CIDRs. */
export interface CompiledIpAllowlist {
  /** How many entries were compiled (invalid entries are skipped and not counted). */
  readonly size: number;
  /**
   * True when `ip` is inside at least one entry. An unparseable `ip` is outside every entry,
   * and an empty list allows nothing (fail closed): "an empty allowlist means any IP" is the
   * caller's rule, which it applies by not consulting the list at all.
   */
  allows(ip: string): boolean;
}

const MAPPED_PREFIX = 0xffffn << 32n;
const ALL_ONES_128 = (1n << 128n) - 1n;

/**
 * Parses dotted-decimal IPv4 in `s[start, end)` to an unsigned 32-bit number, or -1.
 * Allocates nothing, so the hot path can call it on every decision.
 */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (octets < 4) {
    const from = i;
    let octet = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
      if (i - from > 3) return -1;
    }
    const digits = i - from;
    if (digits === 0 || octet > 255) return -1;
    if (digits > 1 && s.charCodeAt(from) === 48) return -1; // leading zero
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (i >= end || s.charCodeAt(i) !== 46 /* '.' */) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

/** Parses an IPv6 address (no zone id, no brackets) to a 128-bit bigint, or undefined. */
export function parseIpv6(s: string): bigint | undefined {
  const hextets = parseIpv6Hextets(s);
  if (hextets === undefined) return undefined;
  let value = 0n;
  for (const h of hextets) value = (value << 16n) | BigInt(h);
  return value;
}

function parseIpv6Hextets(s: string): number[] | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string, halves.length === 1);
  if (head === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = parseGroups(halves[1] as string, true);
  if (tail === undefined) return undefined;
  // `::` stands for at least one zero group.
  const zeros = 8 - head.length - tail.length;
  if (zeros < 1) return undefined;
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

/** Parses `a:b:c` (possibly empty) into 16-bit groups; the last may be dotted IPv4. */
function parseGroups(part: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  const out: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g] as string;
    if (g === groups.length - 1 && mayEndWithIpv4 && group.includes('.')) {
      const v4 = parseIpv4(group);
      if (v4 === -1) return undefined;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (group.length < 1 || group.length > 4 || !/^[0-9a-fA-F]+$/.test(group)) return undefined;
      out.push(Number.parseInt(group, 16));
    }
  }
  return out;
}

/** The IPv4 value of an IPv4-mapped IPv6 address, or -1. */
function unmap(v6: bigint): number {
  return v6 >> 32n === 0xffffn ? Number(v6 & 0xffffffffn) : -1;
}

function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function formatIpv6(v: bigint): string {
  const h: number[] = [];
  for (let i = 7; i >= 0; i--) h.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(h);
  return `${hex(h.slice(0, bestStart))}::${hex(h.slice(bestStart + bestLength))}`;
}

/**
 * The /64 an IPv6 address lies in, as fixed-width text (`20010db800010002/64`): one host usually
 * holds a whole /64, so per-address limits count IPv6 callers by it.
 */
export function ipv6Prefix64(v6: bigint): string {
  return `${(v6 >> 64n).toString(16).padStart(16, '0')}/64`;
}

/**
 * The canonical text of an IP address, or undefined when `ip` is not one. A zone id
 * (`fe80::1%eth0`) is dropped, an IPv4-mapped IPv6 address becomes its IPv4 address, and
 * IPv6 is written in RFC 5952 form. Equal addresses always normalize to equal strings.
 */
export function normalizeIp(ip: string): string | undefined {
  const v4 = parseIpv4(ip);
  if (v4 !== -1) return formatIpv4(v4);
  const zone = ip.indexOf('%');
  const v6 = parseIpv6(zone === -1 ? ip : ip.slice(0, zone));
  if (v6 === undefined || (zone !== -1 && zone === ip.length - 1)) return undefined;
  const mapped = unmap(v6);
  return mapped === -1 ? formatIpv6(v6) : formatIpv4(mapped);
}

interface Cidr4 {
  readonly base: number;
  readonly mask: number;
}
interface Cidr6 {
  readonly base: bigint;
  readonly mask: bigint;
}

function parsePrefix(text: string, max: number): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) return -1;
  const n = Number(text);
  return n <= max ? n : -1;
}

function mask4(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL_ONES_128 << BigInt(128 - prefix)) & ALL_ONES_128;
}

/** Parses an entry into an IPv4 or IPv6 CIDR (a bare address is a /32 or /128), or undefined. */
function parseEntry(entry: string): Cidr4 | Cidr6 | undefined {
  if (entry.length > MAX_IP_ENTRY_LENGTH) return undefined;
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const prefixText = slash === -1 ? undefined : entry.slice(slash + 1);
  const v4 = parseIpv4(address);
  if (v4 !== -1) {
    const prefix = prefixText === undefined ? 32 : parsePrefix(prefixText, 32);
    if (prefix === -1) return undefined;
    const mask = mask4(prefix);
    return { base: (v4 & mask) >>> 0, mask };
  }
  const v6 = parseIpv6(address);
  if (v6 === undefined) return undefined;
  const prefix = prefixText === undefined ? 128 : parsePrefix(prefixText, 128);
  if (prefix === -1) return undefined;
  // A mapped entry is an IPv4 entry, so it matches addresses that arrive in either form.
  if (prefix >= 96 && v6 >> 32n === 0xffffn) {
    const mask = mask4(prefix - 96);
    return { base: (Number(v6 & 0xffffffffn) & mask) >>> 0, mask };
  }
  const mask = mask6(prefix);
  return { base: v6 & mask, mask };
}

/**
 * Throws `invalid_argument` on `field` unless `entry` is an IPv4 or IPv6 address or CIDR
 * (`10.0.0.0/8`, `2001:db8::/32`), at most 64 characters, without a zone id. Host bits set
 * below the prefix are accepted and ignored, as most CIDR parsers do.
 */
export function validateIpOrCidr(entry: string, field: string): void {
  if (parseEntry(entry) === undefined) {
    throw invalidArgument(field, 'must be an IPv4 or IPv6 address or CIDR, such as 10.0.0.0/8');
  }
}

/**
 * Compiles allowlist entries, assumed valid (`validateIpOrCidr`); an invalid entry is skipped,
 * so it allows nothing. An IPv4 address is also checked, as its mapped form, against IPv6
 * entries, so `::/0` allows every address.
 */
export function compileIpAllowlist(entries: readonly string[]): CompiledIpAllowlist {
  const v4: Cidr4[] = [];
  const v6: Cidr6[] = [];
  for (const entry of entries) {
    const cidr = parseEntry(entry);
    if (cidr === undefined) continue;
    if (typeof cidr.base === 'number') v4.push(cidr as Cidr4);
    else v6.push(cidr as Cidr6);
  }
  const inV4 = (n: number): boolean => {
    for (const c of v4) if (((n & c.mask) >>> 0) === c.base) return true;
    return false;
  };
  const inV6 = (n: bigint): boolean => {
    for (const c of v6) if ((n & c.mask) === c.base) return true;
    return false;
  };
  // Entries that are themselves mapped IPv4 became IPv4 entries above, so an IPv6 entry
  // either covers the whole mapped range ::ffff:0:0/96 (every IPv4 address) or none of it.
  // Deciding that now keeps bigint arithmetic off the IPv4 hot path.
  const everyIpv4 = v6.some((c) => (MAPPED_PREFIX & c.mask) === c.base);
  const allows = (ip: string): boolean => {
    // The common case, a plain IPv4 address, is parsed without allocating.
    const a4 = parseIpv4(ip);
    if (a4 !== -1) return everyIpv4 || inV4(a4);
    const zone = ip.indexOf('%');
    const a6 = parseIpv6(zone === -1 ? ip : ip.slice(0, zone));
    if (a6 === undefined) return false;
    const mapped = unmap(a6);
    if (mapped !== -1) return everyIpv4 || inV4(mapped);
    return inV6(a6);
  };
  return { size: v4.length + v6.length, allows };
}

/**
 * True when every address inside entry `inner` is also inside entry `outer` (both addresses or
 * CIDRs, assumed valid; an invalid one is inside nothing and contains nothing). Used to check
 * that a delegated allowlist only narrows its parent's. IPv4 entries are compared as their
 * mapped IPv6 form against IPv6 entries, so `::/0` contains `10.0.0.0/8`.
 */
export function ipEntryWithin(inner: string, outer: string): boolean {
  const i = parseEntry(inner);
  const o = parseEntry(outer);
  if (i === undefined || o === undefined) return false;
  const i6 = asV6(i);
  const o6 = asV6(o);
  // Inner's prefix is at least as long as outer's, and inner's network lies in outer's.
  return (i6.mask & o6.mask) === o6.mask && (i6.base & o6.mask) === o6.base;
}

/** A parsed entry as an IPv6 CIDR; an IPv4 one becomes its mapped range. */
function asV6(c: Cidr4 | Cidr6): Cidr6 {
  if (typeof c.base === 'bigint') return c as Cidr6;
  const v4 = c as Cidr4;
  return { base: MAPPED_PREFIX | BigInt(v4.base), mask: (ALL_ONES_128 ^ 0xffffffffn) | BigInt(v4.mask) };
}
