import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('KAVACH_STORE_TIMEOUT_MS', () => {
  it('defaults to a few seconds', () => {
    expect(loadConfig({}).storeTimeoutMs).toBe(3000);
  });

  it('accepts a whole number of milliseconds in range', () => {
    expect(loadConfig({ KAVACH_STORE_TIMEOUT_MS: '1500' }).storeTimeoutMs).toBe(1500);
  });

  it.each(['0', '99', '60001', '2s', '-5', '1.5'])('rejects %s, naming the variable', (raw) => {
    expect(() => loadConfig({ KAVACH_STORE_TIMEOUT_MS: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ KAVACH_STORE_TIMEOUT_MS: raw })).toThrow(/^KAVACH_STORE_TIMEOUT_MS: must be a whole number from 100 to 60000/);
  });
});
