/** Sign in, sign up, or use the admin token with a tenant. */
import { useMutation } from '@connectrpc/connect-query';
import { useState, type FormEvent } from 'react';
import { AgentService, AuthService } from '../api.js';
import { createClient } from '@connectrpc/connect';
import { ErrorText, Field } from '../components/common.js';
import { Tabs } from '../components/tabs.js';
import { setSession } from '../session.js';
import { transport } from '../transport.js';
import { navigate } from '../router.js';

type Mode = 'sign-in' | 'sign-up' | 'admin';

export function SignInPage() {
  const [mode, setMode] = useState<Mode>('sign-in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [adminToken, setAdminToken] = useState('');
  const [tenant, setTenant] = useState('default');
  const [adminError, setAdminError] = useState<unknown>(null);
  const signIn = useMutation(AuthService.method.signIn);
  const signUp = useMutation(AuthService.method.signUp);

  const done = (token: string, userId: string, tenantId: string, label: string) => {
    setSession({ kind: 'user', token, tenant: tenantId, label, userId });
    navigate('/agents');
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAdminError(null);
    try {
      if (mode === 'sign-in') {
        const res = await signIn.mutateAsync({ email, password });
        done(res.sessionToken, res.user?.id ?? '', res.user?.tenantId ?? '', res.user?.email ?? email);
      } else if (mode === 'sign-up') {
        const res = await signUp.mutateAsync({ email, password, name });
        done(res.sessionToken, res.user?.id ?? '', res.user?.tenantId ?? '', res.user?.email ?? email);
      } else {
        // Check the token before keeping it: one cheap call in the chosen tenant.
        const probe = createClient(AgentService, transport);
        await probe.listAgents({ pageSize: 1 }, { headers: { authorization: `Bearer ${adminToken}`, 'kavach-tenant': tenant } });
        setSession({ kind: 'admin', token: adminToken, tenant, label: 'admin', userId: '' });
        navigate('/agents');
      }
    } catch (err) {
      if (mode === 'admin') setAdminError(err);
    }
  };

  const error = mode === 'sign-in' ? signIn.error : mode === 'sign-up' ? signUp.error : adminError;
  const busy = signIn.isPending || signUp.isPending;
  return (
    <section className="auth">
      <h1 tabIndex={-1}>Kavach Console</h1>
      <Tabs
        label="How to sign in"
        tabs={[
          ['sign-in', 'Sign in'],
          ['sign-up', 'Create an account'],
          ['admin', 'Admin token'],
        ]}
        value={mode}
        onChange={setMode}
      >
      <form onSubmit={(e) => void submit(e)} aria-label={mode === 'admin' ? 'Admin sign in' : mode === 'sign-up' ? 'Create an account' : 'Sign in'}>
        {mode !== 'admin' ? (
          <>
            <Field label="Email">{(id) => <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
            <Field label="Password" hint={mode === 'sign-up' ? '8 to 128 characters, not a common password.' : undefined}>
              {(id) => (
                <input
                  id={id}
                  type="password"
                  autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
            {mode === 'sign-up' && <Field label="Name (optional)">{(id) => <input id={id} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}</Field>}
          </>
        ) : (
          <>
            <Field label="Admin token">{(id) => <input id={id} type="password" autoComplete="off" required value={adminToken} onChange={(e) => setAdminToken(e.target.value)} />}</Field>
            <Field label="Tenant" hint="The tenant to act in; the default tenant is “default”.">
              {(id) => <input id={id} required value={tenant} onChange={(e) => setTenant(e.target.value)} />}
            </Field>
          </>
        )}
        <ErrorText error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'sign-up' ? 'Create account' : 'Sign in'}
        </button>
      </form>
      </Tabs>
    </section>
  );
}
