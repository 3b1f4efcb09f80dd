/** `kavach` argument parsing, table-driven: what is accepted, its defaults, and usage errors. */
import { describe, expect, it } from 'vitest';
import { UsageError, parseCli } from '../../../src/cli/args.js';

const TOKEN = { KAVACH_TOKEN: 'kvs_from_env' };

describe('parseCli', () => {
  it('defaults to the local server, the token from KAVACH_TOKEN, human output and no filter', () => {
    expect(parseCli(['audit', 'tail'], TOKEN)).toEqual({
      command: 'audit-tail',
      url: 'http://127.0.0.1:8080',
      token: 'kvs_from_env',
      json: false,
      agentId: '',
      ownerId: '',
      actions: [],
      result: undefined,
      resourcePrefix: '',
      cursor: '',
    });
  });

  it('reads every flag, with --action repeatable and --token over the environment', () => {
    const args = parseCli(
      ['audit', 'tail', '--url', 'http://kavach:9090/', '--token', 'kv_flag', '--json', '--agent', 'agt_1', '--owner', 'usr_1',
        '--action', 'read', '--action', 'write', '--result', 'denied', '--resource-prefix', 'mcp:github:', '--cursor', 'abc'],
      TOKEN,
    );
    expect(args).toEqual({
      command: 'audit-tail',
      url: 'http://kavach:9090',
      token: 'kv_flag',
      json: true,
      agentId: 'agt_1',
      ownerId: 'usr_1',
      actions: ['read', 'write'],
      result: 'denied',
      resourcePrefix: 'mcp:github:',
      cursor: 'abc',
    });
  });

  it('answers --help without needing a token', () => {
    expect(parseCli(['--help'], {})).toEqual({ command: 'help' });
  });

  const bad: ReadonlyArray<[string, string[], Record<string, string>]> = [
    ['no command', [], TOKEN],
    ['an unknown command', ['audit', 'export'], TOKEN],
    ['no token', ['audit', 'tail'], {}],
    ['an unknown flag', ['audit', 'tail', '--colour'], TOKEN],
    ['an unknown result', ['audit', 'tail', '--result', 'maybe'], TOKEN],
    ['a URL with a path', ['audit', 'tail', '--url', 'http://host/x'], TOKEN],
    ['a flag without its value', ['audit', 'tail', '--agent'], TOKEN],
  ];
  it.each(bad)('refuses %s with a usage error', (_name, argv, env) => {
    expect(() => parseCli(argv, env)).toThrow(UsageError);
  });
});
