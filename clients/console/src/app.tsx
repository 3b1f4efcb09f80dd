/** The layout: skip link, navigation with the approvals badge, the lost-connection banner, pages. */
import { useMutation } from '@connectrpc/connect-query';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { AuthService } from './api.js';
import { Link } from './components/common.js';
import { useOnline } from './connection.js';
import { startLive, stopLive } from './live.js';
import { useApprovalSignals } from './notify.js';
import { AgentDetailPage } from './pages/agent-detail.js';
import { AgentsPage } from './pages/agents.js';
import { ApprovalsPage } from './pages/approvals.js';
import { AuditPage } from './pages/audit.js';
import { DelegationsPage } from './pages/delegations.js';
import { SignInPage } from './pages/sign-in.js';
import { navigate, usePath } from './router.js';
import { setSession, useSession, type Session } from './session.js';

function Page({ path }: { path: string }) {
  const agent = /^\/agents\/([\w-]+)$/.exec(path);
  if (agent?.[1] !== undefined) return <AgentDetailPage agentId={agent[1]} />;
  if (path.startsWith('/approvals')) return <ApprovalsPage />;
  if (path.startsWith('/audit')) return <AuditPage />;
  if (path.startsWith('/delegations')) return <DelegationsPage />;
  return <AgentsPage />;
}

function NotificationToggle() {
  const supported = typeof Notification !== 'undefined';
  const [perm, setPerm] = useState(supported ? Notification.permission : 'denied');
  if (!supported || perm === 'granted' || perm === 'denied') return null;
  return (
    <button type="button" onClick={() => void Notification.requestPermission().then(setPerm)}>
      Notify me of approvals
    </button>
  );
}

function TenantPicker({ session }: { session: Session }) {
  const [tenant, setTenant] = useState(session.tenant);
  const queryClient = useQueryClient();
  return (
    <form
      className="tenant"
      aria-label="Tenant"
      onSubmit={(e) => {
        e.preventDefault();
        stopLive();
        setSession({ ...session, tenant });
        queryClient.clear();
        startLive();
      }}
    >
      <label htmlFor="tenant-picker">Tenant</label>
      <input id="tenant-picker" value={tenant} onChange={(e) => setTenant(e.target.value)} size={12} />
      <button type="submit">Switch</button>
    </form>
  );
}

function Shell({ session }: { session: Session }) {
  const path = usePath();
  const online = useOnline();
  const pending = useApprovalSignals();
  const queryClient = useQueryClient();
  const signOut = useMutation(AuthService.method.signOut);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    startLive();
  }, []);
  // Move focus to the new page's heading on a route change (not on the first load, where the
  // skip link comes first), so screen readers announce the page change.
  const firstPath = useRef(path);
  useEffect(() => {
    if (path === firstPath.current) return;
    firstPath.current = '';
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [path]);
  const leave = async () => {
    if (session.kind === 'user') await signOut.mutateAsync({}).catch(() => undefined);
    stopLive();
    setSession(null);
    queryClient.clear();
    navigate('/');
  };
  const nav: Array<[string, string]> = [
    ['/agents', 'Agents'],
    ['/approvals', 'Approvals'],
    ['/audit', 'Audit log'],
    ['/delegations', 'Delegations'],
  ];
  return (
    <>
      <a href="#main" className="skip">Skip to content</a>
      <header>
        <span className="brand">Kavach Console</span>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to} current={path.startsWith(to) || (to === '/agents' && path === '/')}>
                  {label}
                  {to === '/approvals' && pending > 0 && (
                    <span className="badge" aria-label={`${pending} pending`} data-testid="approvals-badge">
                      {pending}
                    </span>
                  )}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {session.kind === 'admin' && <TenantPicker session={session} />}
          <NotificationToggle />
          <span>Signed in as {session.label}</span>
          <button type="button" onClick={() => void leave()}>Sign out</button>
        </div>
      </header>
      {!online && (
        <div className="banner" role="alert">
          The connection to Kavach was lost. The console keeps trying and recovers by itself.
        </div>
      )}
      <main id="main" ref={main}>
        <Page path={path} />
      </main>
    </>
  );
}

export function App() {
  const session = useSession();
  if (session === null) {
    return (
      <main id="main">
        <SignInPage />
      </main>
    );
  }
  return <Shell session={session} />;
}
