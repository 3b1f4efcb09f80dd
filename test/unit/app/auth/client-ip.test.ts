import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../../src/app/auth/client-ip.js';
import type { CallMeta, Principal } from '../../../../src/app/auth/principal.js';

const agent: Principal = { kind: 'agent', tenantId: 'default', agentId: 'agt_a', ownerId: 'usr_a' };
const admin: Principal = { kind: 'admin', tenantId: 'default' };
const meta = (peerIp: string, forwardedFor: string[] = []): CallMeta => ({ peerIp, forwardedFor, requestId: 'r' });

describe('the IP an allowlist is checked against', () => {
  const resolve = createClientIpResolver(['10.0.0.0/24']);

  it.each<[string, Principal, CallMeta, string, string | undefined]>([
    ['the peer, for an agent calling directly', agent, meta('203.0.113.5', ['192.168.1.5']), '192.168.1.7', '203.0.113.5'],
    ['client_ip, from a trusted proxy', agent, meta('10.0.0.1'), '198.51.100.7', '198.51.100.7'],
    ['the nearest untrusted hop, from a trusted proxy', agent, meta('10.0.0.1', ['198.51.100.7']), '', '198.51.100.7'],
    // A client behind the ingress wrote 192.168.1.5 itself; the ingress appended the real address.
    ['not a hop the client wrote, when a proxy appended the real one', agent, meta('10.0.0.1', ['192.168.1.5', '198.51.100.7']), '', '198.51.100.7'],
    ['past a chain of trusted proxies', agent, meta('10.0.0.1', ['198.51.100.7', '10.0.0.9']), '', '198.51.100.7'],
    ['the peer, when a hop is not an address', agent, meta('10.0.0.1', ['198.51.100.7', 'garbage']), '', '10.0.0.1'],
    ['client_ip, from the admin', admin, meta('203.0.113.5'), '198.51.100.9', '198.51.100.9'],
    ['an IPv4-mapped peer as IPv4', agent, meta('::ffff:203.0.113.5'), '', '203.0.113.5'],
  ])('is %s', (_name, principal, callMeta, requested, expected) => {
    expect(resolve(principal, callMeta, requested, 'client_ip')).toBe(expected);
  });

  it('refuses a malformed client_ip from a believed caller, naming the field', () => {
    expect(() => resolve(admin, meta('203.0.113.5'), 'not-an-ip', 'checks[2].client_ip')).toThrow(/checks\[2\]\.client_ip/);
  });
});
