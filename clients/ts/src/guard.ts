/**
 * The gateway helper: before running a tool call for an agent, ask Kavach with the agent's own
 * token. Allowed returns the decision (its audit id ties the call to the log); anything else
 * throws AccessDeniedError with the reason, approval id or retry delay. Failing to reach Kavach
 * throws a KavachError: either way the tool call does not run (fail closed).
 */
import type { JsonObject } from '@bufbuild/protobuf';
import type { CallOptions, Client } from '@connectrpc/connect';
import type { AuthorizeService} from './gen/kavach/v1/authorize_service_pb.js';
import { type AuthorizeResponse } from './gen/kavach/v1/authorize_service_pb.js';
import { AccessDeniedError } from './errors.js';

/** The tool call's arguments, checked by argument rules and stored (redacted) in the audit log. */
export type GuardArguments = JsonObject;

export async function guard(
  authorize: Client<typeof AuthorizeService>,
  agentToken: string,
  action: string,
  resource: string,
  args: GuardArguments | undefined,
  options: CallOptions = {},
): Promise<AuthorizeResponse> {
  if (typeof agentToken !== 'string' || agentToken === '') throw new TypeError('guard: agentToken is required');
  const headers = new Headers(options.headers);
  headers.set('authorization', `Bearer ${agentToken}`);
  const decision = await authorize.authorize({ action, resource, arguments: args }, { ...options, headers });
  if (!decision.allowed) throw new AccessDeniedError(decision);
  return decision;
}
