/**
 * A tiny REST client for the tests of `/api/kavach`, which checks every answer it gets against
 * the OpenAPI document (the schema of its route, method and status, else `default`), so every
 * test here also keeps the document true.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { openApiDocument } from '../../src/rest/openapi.js';

const DOC_ID = 'kavach-openapi';
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(openApiDocument as object, DOC_ID);

const pointer = (...parts: string[]): string => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Every (route template, method, status) a test saw answered and validated. */
export const validated = new Set<string>();

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };

/** The documented template of a concrete path (`/agents/abc` -> `/agents/{id}`). */
export function templateOf(path: string): string | undefined {
  const templates = Object.keys(openApiDocument.paths);
  // A literal path wins over a parameter (`/audit/export`).
  if (templates.includes(path)) return path;
  const segments = path.split('/');
  return templates.find((template) => {
    const t = template.split('/');
    return t.length === segments.length && t.every((s, i) => s.startsWith('{') || s === segments[i]);
  });
}

export function validateAnswer(method: string, path: string, status: number, contentType: string, body: unknown): void {
  const template = templateOf(path);
  if (template === undefined) return;
  const op = (openApiDocument.paths as unknown as Record<string, Record<string, Operation>>)[template]?.[method.toLowerCase()];
  if (op === undefined) return;
  const key = op.responses[String(status)] !== undefined ? String(status) : 'default';
  const response = op.responses[key];
  expect(response, `${method} ${template} ${status} is documented`).toBeDefined();
  if (status === 204) return;
  const media = contentType.split(';')[0]?.trim() ?? '';
  const schemaAt = response?.content?.[media];
  expect(schemaAt, `${method} ${template} ${status} documents ${media}`).toBeDefined();
  if (media !== 'application/json') return;
  const validate = ajv.getSchema(`${DOC_ID}#/${pointer('paths', template, method.toLowerCase(), 'responses', key, 'content', media, 'schema')}`);
  expect(validate, 'schema compiles').toBeDefined();
  const ok = validate?.(body);
  expect(ok, `${method} ${template} ${status}: ${JSON.stringify(validate?.errors)}`).toBe(true);
  validated.add(`${method} ${template} ${status}`);
}

export interface RestAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read what they assert
  readonly text: string;
}

export interface RestOptions {
  readonly token?: string;
  readonly tenant?: string;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is (malformed JSON, huge bodies). */
  readonly raw?: string | Uint8Array | ReadableStream<Uint8Array>;
  readonly headers?: Record<string, string>;
}

export function restClient(baseUrl: string) {
  return async function rest(method: string, path: string, options: RestOptions = {}): Promise<RestAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.tenant !== undefined) headers['kavach-tenant'] = options.tenant;
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.raw !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = options.raw as RequestInit['body'];
    }
    const init: RequestInit & { duplex?: string } = { method, headers, body };
    if (options.raw instanceof ReadableStream) init.duplex = 'half';
    const res = await fetch(`${baseUrl}/api/kavach${path}`, init);
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed: unknown = type.startsWith('application/json') && text !== '' ? JSON.parse(text) : undefined;
    validateAnswer(method, path.split('?', 1)[0] ?? '', res.status, type, parsed);
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}
