/**
 * One Connect-Web transport for the whole console, to the origin that served it (same origin:
 * no CORS). It sends the session's bearer token and, for the admin, the chosen tenant.
 */
import type { Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { connectionWatch } from './connection.js';
import { getSession } from './session.js';

const credentials: Interceptor = (next) => (req) => {
  const s = getSession();
  if (s !== null && !req.header.has('authorization')) {
    req.header.set('authorization', `Bearer ${s.token}`);
    if (s.kind === 'admin' && s.tenant !== '') req.header.set('kavach-tenant', s.tenant);
  }
  return next(req);
};

export const transport = createConnectTransport({
  baseUrl: window.location.origin,
  useBinaryFormat: true,
  interceptors: [connectionWatch, credentials],
});
