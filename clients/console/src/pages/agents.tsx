/** Agents: list with filters and paging, and create with the permission builder. */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { useMutation, useQuery } from '@connectrpc/connect-query';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { AgentService, AgentStatus, AgentType } from '../api.js';
import { ErrorText, Field, Link, TokenReveal } from '../components/common.js';
import { PermissionBuilder, emptyPermission, toPermissions, type PermissionDraft } from '../components/permission-builder.js';
import { enumLabel, parseMetadata, when } from '../format.js';
import { useSession } from '../session.js';

export function CreateAgent({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState(AgentType.AUTONOMOUS);
  const [expires, setExpires] = useState('');
  const [perms, setPerms] = useState<PermissionDraft[]>([emptyPermission()]);
  const [metadata, setMetadata] = useState('');
  const [ownerId, setOwnerId] = useState('');
  const session = useSession();
  const [token, setToken] = useState<string | null>(null);
  const createAgent = useMutation(AgentService.method.createAgent);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const res = await createAgent.mutateAsync({
        name,
        type,
        ownerId: ownerId.trim(),
        metadata: parseMetadata(metadata),
        permissions: toPermissions(perms),
        expiresAt: expires === '' ? undefined : timestampFromDate(new Date(expires)),
      });
      setToken(res.token);
      setName('');
      setPerms([emptyPermission()]);
      onCreated();
    } catch {
      // shown by ErrorText from the mutation's state
    }
  };

  if (token !== null) return <TokenReveal token={token} onDone={() => setToken(null)} />;
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Create an agent" className="card">
      <h2>Create an agent</h2>
      <div className="grid">
        <Field label="Agent name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <Field label="Agent type">
          {(id) => (
            <select id={id} value={type} onChange={(e) => setType(Number(e.target.value) as AgentType)}>
              <option value={AgentType.AUTONOMOUS}>autonomous</option>
              <option value={AgentType.DELEGATED}>delegated</option>
              <option value={AgentType.SERVICE}>service</option>
            </select>
          )}
        </Field>
        <Field label="Expires (optional)">{(id) => <input id={id} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}</Field>
        {session?.kind === 'admin' && (
          <Field label="Owner user id (required for the admin)">{(id) => <input id={id} value={ownerId} onChange={(e) => setOwnerId(e.target.value)} />}</Field>
        )}
        <Field label="Metadata, key=value per line (optional)">{(id) => <textarea id={id} value={metadata} onChange={(e) => setMetadata(e.target.value)} />}</Field>
      </div>
      <PermissionBuilder value={perms} onChange={setPerms} />
      <ErrorText error={createAgent.error} />
      <button type="submit" className="primary" disabled={createAgent.isPending}>
        Create agent
      </button>
    </form>
  );
}

export function AgentsPage() {
  const [status, setStatus] = useState(AgentStatus.UNSPECIFIED);
  const [type, setType] = useState(AgentType.UNSPECIFIED);
  const [pageSize, setPageSize] = useState(20);
  const [owner, setOwner] = useState('');
  const session = useSession();
  const [pages, setPages] = useState<string[]>(['']);
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const pageToken = pages[pages.length - 1] ?? '';
  const list = useQuery(AgentService.method.listAgents, { status, type, pageSize, pageToken, ownerId: owner.trim() });
  const resetPaging = () => setPages(['']);

  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title" tabIndex={-1}>
        Agents
      </h1>
      <div className="row">
        <button type="button" className="primary" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
          {creating ? 'Close the form' : 'New agent'}
        </button>
      </div>
      {creating && <CreateAgent onCreated={() => void queryClient.invalidateQueries()} />}
      <form className="filters" aria-label="Filter agents" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => { setStatus(Number(e.target.value)); resetPaging(); }}>
              <option value={AgentStatus.UNSPECIFIED}>any</option>
              <option value={AgentStatus.ACTIVE}>active</option>
              <option value={AgentStatus.REVOKED}>revoked</option>
              <option value={AgentStatus.EXPIRED}>expired</option>
            </select>
          )}
        </Field>
        <Field label="Type">
          {(id) => (
            <select id={id} value={type} onChange={(e) => { setType(Number(e.target.value)); resetPaging(); }}>
              <option value={AgentType.UNSPECIFIED}>any</option>
              <option value={AgentType.AUTONOMOUS}>autonomous</option>
              <option value={AgentType.DELEGATED}>delegated</option>
              <option value={AgentType.SERVICE}>service</option>
            </select>
          )}
        </Field>
        {session?.kind === 'admin' && (
          <Field label="Owner user id">{(id) => <input id={id} value={owner} onChange={(e) => { setOwner(e.target.value); resetPaging(); }} />}</Field>
        )}
        <Field label="Per page">
          {(id) => (
            <select id={id} value={pageSize} onChange={(e) => { setPageSize(Number(e.target.value)); resetPaging(); }}>
              {[10, 20, 50, 100].map((n) => (
                <option key={n} value={n}>{n}</option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ErrorText error={list.error} />
      <table aria-label="Agents" aria-busy={list.isFetching}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Id</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Permissions</th>
            <th scope="col">Token prefix</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.agents.map((a) => (
            <tr key={a.id}>
              <td><Link to={`/agents/${a.id}`}>{a.name}</Link></td>
              <td><code>{a.id}</code></td>
              <td>{enumLabel(AgentType, a.type, 'AGENT_TYPE_')}</td>
              <td><span className={`status status-${AgentStatus[a.status]?.toLowerCase()}`}>{enumLabel(AgentStatus, a.status, 'AGENT_STATUS_')}</span></td>
              <td>{a.permissions.length}</td>
              <td><code>{a.tokenPrefix}</code></td>
              <td>{when(a.createdAt)}</td>
            </tr>
          ))}
          {list.data?.agents.length === 0 && (
            <tr><td colSpan={7}>No agents match. Create one with “New agent”.</td></tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Agent pages">
        <button type="button" disabled={pages.length <= 1} onClick={() => setPages((p) => p.slice(0, -1))}>Previous page</button>
        <span>Page {pages.length}</span>
        <button type="button" disabled={(list.data?.nextPageToken ?? '') === ''} onClick={() => setPages((p) => [...p, list.data?.nextPageToken ?? ''])}>Next page</button>
      </nav>
    </section>
  );
}
