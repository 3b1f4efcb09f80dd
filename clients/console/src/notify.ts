/**
 * Approval signals for the whole console: the pending count for the navigation badge, a refetch
 * whenever the live tail reports an approval event, and a browser notification for a new
 * pending request when the user allowed notifications.
 */
import { useQuery } from '@connectrpc/connect-query';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { ApprovalStatus, AuditResult, AuthorizeService, type AuditEntry } from './api.js';
import { useLiveEntries } from './live.js';

function isApprovalEvent(e: AuditEntry): boolean {
  return e.result === AuditResult.PENDING_APPROVAL || e.action === 'approval.decide' || e.approvalId !== '';
}

let tick = 0;
const tickListeners = new Set<(n: number) => void>();

/** Mounted once (in the layout): refetches approvals and notifies on new pending requests. */
export function useApprovalSignals(): number {
  const queryClient = useQueryClient();
  const listener = useCallback(
    (e: AuditEntry) => {
      if (!isApprovalEvent(e)) return;
      tick += 1;
      for (const l of tickListeners) l(tick);
      void queryClient.invalidateQueries();
      if (e.result === AuditResult.PENDING_APPROVAL && typeof Notification !== 'undefined' && Notification.permission === 'granted' && document.hidden) {
        new Notification('Kavach: approval needed', { body: `${e.agentId} asks to ${e.action} on ${e.resource}`, tag: e.approvalId });
      }
    },
    [queryClient],
  );
  useLiveEntries(listener);
  const pending = useQuery(AuthorizeService.method.listApprovals, { status: ApprovalStatus.PENDING, pageSize: 100 }, { refetchInterval: 30_000 });
  return pending.data?.approvals.length ?? 0;
}

export function useApprovalTick(): number {
  const [n, setN] = useState(tick);
  useEffect(() => {
    tickListeners.add(setN);
    return () => {
      tickListeners.delete(setN);
    };
  }, []);
  return n;
}
