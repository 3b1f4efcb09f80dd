/**
 * An owner for agents the admin creates in an end-to-end test: CreateAgent refuses an owner that
 * is no user of the tenant (issue 11 item 8), so the admin signs one up first, as a real
 * deployment would.
 */
import { createClient, type Transport } from '@connectrpc/connect';
import { AuthService } from '../../gen/kavach/v1/auth_service_pb.js';
import { aSignUpRequest } from './requests.js';

/** Signs a fresh user up as the admin (in `tenant`, or the default one) and returns its id. */
export async function signUpOwner(transport: Transport, adminToken: string, tenant?: string): Promise<string> {
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
  if (tenant !== undefined) headers['kavach-tenant'] = tenant;
  const res = await createClient(AuthService, transport).signUp(aSignUpRequest(), { headers });
  const id = res.user?.id ?? '';
  if (id === '') throw new Error('SignUp returned no user');
  return id;
}
