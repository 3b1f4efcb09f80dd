/** One agent: update, rotate and revoke (each asks first), and its effective permissions. */
import { useMutation, useQuery } from '@connectrpc/connect-query';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { AgentService, AgentStatus, AgentType, DelegationService, PermissionSource, type Permission } from '../api.js';
import { ConfirmButton, ErrorText, Field, Link, TokenReveal } from '../components/common.js';
import { PermissionBuilder, fromPermissions, toPermissions, type PermissionDraft } from '../components/permission-builder.js';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { enumLabel, formatMetadata, parseMetadata, when } from '../format.js';

export function describePermission(p: Permission | undefined): string {
  if (p === undefined) return '';
  const c = p.constraints;
  const parts = [`${p.actions.join(', ')} on ${p.resource}`];
  if (c?.maxCallsPerHour !== undefined) parts.push(`at most ${c.maxCallsPerHour} calls per hour`);
  if ((c?.ipAllowlist.length ?? 0) > 0) parts.push(`from ${c?.ipAllowlist.join(', ')}`);
  const w = c?.timeWindow;
  if (w !== undefined) parts.push(`between ${w.start} and ${w.end} ${w.timeZone || 'UTC'}${w.days.length > 0 ? ` on ${w.days.length} day(s)` : ''}`);
  if ((c?.argumentRules.length ?? 0) > 0) parts.push(`with rules on ${c?.argumentRules.map((r) => r.name).join(', ')}`);
  if (c?.requireApproval === true) parts.push('each call needs approval');
  return parts.join('; ');
}

function EffectivePermissions({ agentId }: { agentId: string }) {
  const eff = useQuery(DelegationService.method.getEffectivePermissions, { agentId });
  return (
    <section aria-labelledby="eff-title" className="card">
      <h2 id="eff-title">Effective permissions</h2>
      <ErrorText error={eff.error} />
      <table aria-label="Effective permissions">
        <thead>
          <tr>
            <th scope="col">Permission</th>
            <th scope="col">Source</th>
            <th scope="col">Delegation chain</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {eff.data?.permissions.map((p, i) => (
            <tr key={i}>
              <td>{describePermission(p.permission)}</td>
              <td>{enumLabel(PermissionSource, p.source, 'PERMISSION_SOURCE_')}</td>
              <td>
                {p.agentChain.map((a, j) => (
                  <span key={j}>
                    {j > 0 && ' → '}
                    <Link to={`/agents/${a}`}>{a}</Link>
                  </span>
                ))}
                {p.delegationIds.length > 0 && <small> via {p.delegationIds.join(' → ')}</small>}
              </td>
              <td>{when(p.expiresAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function AgentDetailPage({ agentId }: { agentId: string }) {
  const queryClient = useQueryClient();
  const agent = useQuery(AgentService.method.getAgent, { agentId });
  const update = useMutation(AgentService.method.updateAgent);
  const rotate = useMutation(AgentService.method.rotateAgentToken);
  const revoke = useMutation(AgentService.method.revokeAgent);
  const [editing, setEditing] = useState<{ name: string; perms: PermissionDraft[]; metadata: string; expires: string; clearExpiry: boolean } | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const refresh = () => void queryClient.invalidateQueries();
  const a = agent.data?.agent;

  return (
    <section aria-labelledby="agent-title">
      <p><Link to="/agents">← All agents</Link></p>
      <h1 id="agent-title" tabIndex={-1}>
        {a?.name ?? 'Agent'} <code>{agentId}</code>
      </h1>
      <ErrorText error={agent.error} />
      <p aria-live="polite">{notice}</p>
      {token !== null && <TokenReveal token={token} onDone={() => setToken(null)} />}
      {a !== undefined && (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>{enumLabel(AgentStatus, a.status, 'AGENT_STATUS_')}</dd>
            <dt>Type</dt>
            <dd>{enumLabel(AgentType, a.type, 'AGENT_TYPE_')}</dd>
            <dt>Owner</dt>
            <dd><code>{a.ownerId}</code></dd>
            <dt>Token prefix</dt>
            <dd><code>{a.tokenPrefix}</code></dd>
            <dt>Created</dt>
            <dd>{when(a.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>{when(a.expiresAt)}</dd>
            <dt>Metadata</dt>
            <dd>{Object.keys(a.metadata).length === 0 ? '—' : Object.entries(a.metadata).map(([k, v]) => `${k}=${v}`).join(', ')}</dd>
          </dl>
          {a.status === AgentStatus.ACTIVE && (
            <div className="row">
              <button type="button" onClick={() => setEditing({ name: a.name, perms: fromPermissions(a.permissions), metadata: formatMetadata(a.metadata), expires: '', clearExpiry: false })}>Edit</button>
              <ConfirmButton
                label="Rotate token"
                question="The current token stops working at once."
                onConfirm={() =>
                  rotate.mutateAsync({ agentId }).then((r) => {
                    setToken(r.token);
                    refresh();
                  }, () => undefined)
                }
              />
              <ConfirmButton
                label="Revoke agent"
                question="The token and every delegation from this agent stop working at once. This cannot be undone."
                onConfirm={() =>
                  revoke.mutateAsync({ agentId }).then(() => {
                    setNotice('The agent was revoked.');
                    refresh();
                  }, () => undefined)
                }
              />
            </div>
          )}
          <ErrorText error={rotate.error ?? revoke.error} />
          {editing !== null && (
            <form
              className="card"
              aria-label="Edit agent"
              onSubmit={(e) => {
                e.preventDefault();
                update
                  .mutateAsync({
                    agentId,
                    name: editing.name,
                    permissions: { permissions: toPermissions(editing.perms) },
                    metadata: { entries: parseMetadata(editing.metadata) },
                    expiresAt: editing.expires === '' ? undefined : timestampFromDate(new Date(editing.expires)),
                    clearExpiresAt: editing.clearExpiry,
                  })
                  .then(() => {
                    setEditing(null);
                    setNotice('Saved.');
                    refresh();
                  }, () => undefined);
              }}
            >
              <h2>Edit agent</h2>
              <Field label="Agent name">{(id) => <input id={id} value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} />}</Field>
              <Field label="Metadata, key=value per line">{(id) => <textarea id={id} value={editing.metadata} onChange={(e) => setEditing({ ...editing, metadata: e.target.value })} />}</Field>
              <Field label="New expiry (leave empty to keep)">{(id) => <input id={id} type="datetime-local" value={editing.expires} onChange={(e) => setEditing({ ...editing, expires: e.target.value })} />}</Field>
              <div className="check">
                <input id="clear-expiry" type="checkbox" checked={editing.clearExpiry} onChange={(e) => setEditing({ ...editing, clearExpiry: e.target.checked })} />
                <label htmlFor="clear-expiry">Remove the expiry</label>
              </div>
              <PermissionBuilder value={editing.perms} onChange={(perms) => setEditing({ ...editing, perms })} />
              <ErrorText error={update.error} />
              <div className="row">
                <button type="submit" className="primary">Save changes</button>
                <button type="button" onClick={() => setEditing(null)}>Cancel</button>
              </div>
            </form>
          )}
          <EffectivePermissions agentId={agentId} />
        </>
      )}
    </section>
  );
}
