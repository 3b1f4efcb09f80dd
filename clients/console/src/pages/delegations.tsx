/**
 * Delegations of one agent: given and received, create (a subset of the agent's permissions, to
 * another agent of the same owner), and revoke with a preview of the cascade: the delegations
 * the receiving agent passed on, which are revoked with it.
 */
import { createClient } from '@connectrpc/connect';
import { useMutation, useQuery } from '@connectrpc/connect-query';
import { useQueryClient } from '@tanstack/react-query';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { useState } from 'react';
import { AgentService, AgentStatus, DelegationDirection, DelegationService, DelegationStatus, type Delegation } from '../api.js';
import { ConfirmButton, ErrorText, Field, Link } from '../components/common.js';
import { PermissionBuilder, emptyPermission, toPermissions, type PermissionDraft } from '../components/permission-builder.js';
import { enumLabel, when } from '../format.js';
import { transport } from '../transport.js';
import { describePermission } from './agent-detail.js';

/** Active delegations below `d`: what the to-agent gave onward, recursively (at most 10 hops). */
async function cascadeOf(d: Delegation): Promise<Delegation[]> {
  const client = createClient(DelegationService, transport);
  const found: Delegation[] = [];
  const seen = new Set<string>([d.id]);
  let frontier: Delegation[] = [d];
  for (let hop = 0; hop < 10 && frontier.length > 0; hop += 1) {
    const next: Delegation[] = [];
    for (const parent of frontier) {
      const res = await client.listDelegations({ agentId: parent.toAgentId, direction: DelegationDirection.GIVEN, pageSize: 500 });
      for (const child of res.delegations) {
        if (seen.has(child.id) || child.depth <= parent.depth) continue;
        seen.add(child.id);
        found.push(child);
        next.push(child);
      }
    }
    frontier = next;
  }
  return found;
}

function RevokeDelegation({ d, onDone }: { d: Delegation; onDone: (text: string) => void }) {
  const [preview, setPreview] = useState<Delegation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const revoke = useMutation(DelegationService.method.revokeDelegation);
  if (preview === null) {
    return (
      <span>
        <button type="button" className="danger" onClick={() => cascadeOf(d).then(setPreview, setError)}>
          Revoke…
        </button>
        <ErrorText error={error} />
      </span>
    );
  }
  return (
    <ConfirmButton
      initiallyAsking
      label="Revoke delegation"
      question={
        preview.length === 0
          ? 'Nothing was delegated onward from it.'
          : `It also revokes up to ${preview.length} delegation(s) passed on from it: ${preview.map((c) => `${c.fromAgentId} → ${c.toAgentId}`).join(', ')}.`
      }
      onConfirm={() => revoke.mutateAsync({ delegationId: d.id }).then((r) => onDone(`Revoked ${r.revokedCount} delegation(s).`), setError)}
    />
  );
}

export function DelegationsPage() {
  const queryClient = useQueryClient();
  const agents = useQuery(AgentService.method.listAgents, { status: AgentStatus.ACTIVE, pageSize: 500 });
  const [agentId, setAgentId] = useState('');
  const [direction, setDirection] = useState(DelegationDirection.UNSPECIFIED);
  const [inactive, setInactive] = useState(false);
  const [toAgent, setToAgent] = useState('');
  const [maxDepth, setMaxDepth] = useState('1');
  const [expires, setExpires] = useState('');
  const [perms, setPerms] = useState<PermissionDraft[]>([emptyPermission()]);
  const [notice, setNotice] = useState('');
  const chosen = agentId || agents.data?.agents[0]?.id || '';
  const list = useQuery(DelegationService.method.listDelegations, { agentId: chosen, direction, includeInactive: inactive, pageSize: 100 }, { enabled: chosen !== '' });
  const createDelegation = useMutation(DelegationService.method.createDelegation);

  return (
    <section aria-labelledby="delegations-title">
      <h1 id="delegations-title" tabIndex={-1}>Delegations</h1>
      <ErrorText error={agents.error} />
      <div className="grid">
        <Field label="Agent">
          {(id) => (
            <select id={id} value={chosen} onChange={(e) => setAgentId(e.target.value)}>
              {agents.data?.agents.map((a) => <option key={a.id} value={a.id}>{a.name} ({a.id})</option>)}
            </select>
          )}
        </Field>
        <Field label="Direction">
          {(id) => (
            <select id={id} value={direction} onChange={(e) => setDirection(Number(e.target.value))}>
              <option value={DelegationDirection.UNSPECIFIED}>given and received</option>
              <option value={DelegationDirection.GIVEN}>given</option>
              <option value={DelegationDirection.RECEIVED}>received</option>
            </select>
          )}
        </Field>
        <div className="check">
          <input id="deleg-inactive" type="checkbox" checked={inactive} onChange={(e) => setInactive(e.target.checked)} />
          <label htmlFor="deleg-inactive">Include revoked and expired</label>
        </div>
      </div>
      <p aria-live="polite">{notice}</p>
      <ErrorText error={list.error} />
      <table aria-label="Delegations">
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Permissions</th>
            <th scope="col">Depth</th>
            <th scope="col">Status</th>
            <th scope="col">Expires</th>
            <th scope="col"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {list.data?.delegations.map((d) => (
            <tr key={d.id}>
              <td><Link to={`/agents/${d.fromAgentId}`}>{d.fromAgentId}</Link></td>
              <td><Link to={`/agents/${d.toAgentId}`}>{d.toAgentId}</Link></td>
              <td>{d.permissions.map((p) => describePermission(p)).join(' | ')}</td>
              <td>{d.depth} of {d.maxDepth}</td>
              <td>{enumLabel(DelegationStatus, d.status, 'DELEGATION_STATUS_')}</td>
              <td>{when(d.expiresAt)}</td>
              <td>
                {d.status === DelegationStatus.ACTIVE && d.fromAgentId === chosen && (
                  <RevokeDelegation
                    d={d}
                    onDone={(text) => {
                      setNotice(text);
                      void queryClient.invalidateQueries();
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
          {list.data?.delegations.length === 0 && <tr><td colSpan={7}>No delegations.</td></tr>}
        </tbody>
      </table>
      <form
        className="card"
        aria-label="Delegate permissions"
        onSubmit={(e) => {
          e.preventDefault();
          createDelegation
            .mutateAsync({
              fromAgentId: chosen,
              toAgentId: toAgent,
              permissions: toPermissions(perms),
              maxDepth: Number(maxDepth),
              expiresAt: expires === '' ? undefined : timestampFromDate(new Date(expires)),
            })
            .then(() => {
              setNotice('Delegation created.');
              setPerms([emptyPermission()]);
              void queryClient.invalidateQueries();
            }, () => undefined);
        }}
      >
        <h2>Delegate from {chosen || 'an agent'}</h2>
        <div className="grid">
          <Field label="To agent">
            {(id) => (
              <select id={id} value={toAgent} required onChange={(e) => setToAgent(e.target.value)}>
                <option value="">choose an agent</option>
                {agents.data?.agents.filter((a) => a.id !== chosen).map((a) => <option key={a.id} value={a.id}>{a.name} ({a.id})</option>)}
              </select>
            )}
          </Field>
          <Field label="Max depth (1 to 10)">{(id) => <input id={id} type="number" min={1} max={10} value={maxDepth} onChange={(e) => setMaxDepth(e.target.value)} />}</Field>
          <Field label="Expires (optional)">{(id) => <input id={id} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}</Field>
        </div>
        <PermissionBuilder value={perms} onChange={setPerms} />
        <ErrorText error={createDelegation.error} />
        <button type="submit" className="primary" disabled={chosen === ''}>Delegate</button>
      </form>
    </section>
  );
}
