/**
 * The approvals inbox. Pending approvals come from ListApprovals; the app-wide TailAudit stream
 * refetches it the moment an entry about an approval arrives, so a new request shows within a
 * second of the Authorize that created it.
 */
import { useMutation, useQuery } from '@connectrpc/connect-query';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApprovalStatus, AuthorizeService, type Approval } from '../api.js';
import { ErrorText } from '../components/common.js';
import { enumLabel, when } from '../format.js';
import { useApprovalTick } from '../notify.js';

function ApprovalRow({ approval, onDecided }: { approval: Approval; onDecided: (text: string) => void }) {
  const [note, setNote] = useState('');
  const approve = useMutation(AuthorizeService.method.approveRequest);
  const deny = useMutation(AuthorizeService.method.denyRequest);
  const noteId = `note-${approval.id}`;
  return (
    <li className="card approval" aria-label={`Approval ${approval.id}: ${approval.action} on ${approval.resource}`}>
      <p>
        Agent <code>{approval.agentId}</code> asks to <strong>{approval.action}</strong> on <code>{approval.resource}</code>
      </p>
      <pre aria-label="Arguments (secrets redacted)">{JSON.stringify(approval.arguments ?? {}, null, 2)}</pre>
      <p>
        <small>Requested {when(approval.createdAt)}; expires {when(approval.expiresAt)}. Id <code>{approval.id}</code></small>
      </p>
      <label htmlFor={noteId}>Note (optional)</label>
      <input id={noteId} value={note} maxLength={512} onChange={(e) => setNote(e.target.value)} />
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={approve.isPending || deny.isPending}
          onClick={() => approve.mutateAsync({ approvalId: approval.id, reason: note }).then(() => onDecided(`Approved ${approval.action} on ${approval.resource}.`), () => undefined)}
        >
          Approve
        </button>
        <button
          type="button"
          className="danger"
          disabled={approve.isPending || deny.isPending}
          onClick={() => deny.mutateAsync({ approvalId: approval.id, reason: note }).then(() => onDecided(`Denied ${approval.action} on ${approval.resource}.`), () => undefined)}
        >
          Deny
        </button>
      </div>
      <ErrorText error={approve.error ?? deny.error} />
    </li>
  );
}

export function ApprovalsPage() {
  const [status, setStatus] = useState(ApprovalStatus.PENDING);
  const [notice, setNotice] = useState('');
  const tick = useApprovalTick();
  const queryClient = useQueryClient();
  const list = useQuery(AuthorizeService.method.listApprovals, { status, pageSize: 100 }, { refetchInterval: 30_000 });
  void tick;
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title" tabIndex={-1}>Approvals</h1>
      <div className="row">
        <label htmlFor="approval-status">Show</label>
        <select id="approval-status" value={status} onChange={(e) => setStatus(Number(e.target.value))}>
          {[ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.DENIED, ApprovalStatus.CONSUMED, ApprovalStatus.EXPIRED, ApprovalStatus.UNSPECIFIED].map((s) => (
            <option key={s} value={s}>{s === ApprovalStatus.UNSPECIFIED ? 'all' : enumLabel(ApprovalStatus, s, 'APPROVAL_STATUS_')}</option>
          ))}
        </select>
      </div>
      <p aria-live="polite">{notice}</p>
      <ErrorText error={list.error} />
      {status === ApprovalStatus.PENDING ? (
        <ul className="plain" aria-label="Pending approvals">
          {list.data?.approvals.map((a) => (
            <ApprovalRow
              key={a.id}
              approval={a}
              onDecided={(text) => {
                setNotice(text);
                void queryClient.invalidateQueries();
              }}
            />
          ))}
          {list.data?.approvals.length === 0 && <li>Nothing waits for you. New requests appear here as they arrive.</li>}
        </ul>
      ) : (
        <table aria-label="Approvals">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">Status</th>
              <th scope="col">Decided</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.approvals.map((a) => (
              <tr key={a.id}>
                <td><code>{a.agentId}</code></td>
                <td>{a.action}</td>
                <td><code>{a.resource}</code></td>
                <td>{enumLabel(ApprovalStatus, a.status, 'APPROVAL_STATUS_')}</td>
                <td>{when(a.decidedAt)}</td>
                <td>{a.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
