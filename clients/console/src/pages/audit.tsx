/**
 * The audit log: the live tail (filters, pause and resume, an "n new entries" marker), QueryAudit
 * with every filter and paging, and export as CSV or JSON lines. The export is read from the
 * ExportAudit stream chunk by chunk (with a running byte count) and handed to the browser as a
 * file when the stream ends.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { useQuery } from '@connectrpc/connect-query';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { AuditResult, AuditService, ExportFormat, ReasonCode, type AuditEntry } from '../api.js';
import { ErrorText, Field } from '../components/common.js';
import { Tabs } from '../components/tabs.js';
import { enumLabel, splitList, when } from '../format.js';
import { followTail, recentEntries, useLiveConnected, useLiveEntries } from '../live.js';
import { transport } from '../transport.js';

interface FilterDraft {
  agentId: string;
  ownerId: string;
  actions: string;
  resourcePrefix: string;
  result: AuditResult;
  since: string;
  until: string;
}

const emptyFilter: FilterDraft = { agentId: '', ownerId: '', actions: '', resourcePrefix: '', result: AuditResult.UNSPECIFIED, since: '', until: '' };

function toFilter(f: FilterDraft) {
  return {
    agentId: f.agentId.trim(),
    ownerId: f.ownerId.trim(),
    actions: splitList(f.actions),
    resourcePrefix: f.resourcePrefix,
    result: f.result,
    since: f.since === '' ? undefined : timestampFromDate(new Date(f.since)),
    until: f.until === '' ? undefined : timestampFromDate(new Date(f.until)),
  };
}

/** The same filter, applied in the page to the entries already received when a filter is applied. */
function matches(e: AuditEntry, f: FilterDraft): boolean {
  const actions = splitList(f.actions);
  return (
    (f.agentId.trim() === '' || e.agentId === f.agentId.trim()) &&
    (f.ownerId.trim() === '' || e.ownerId === f.ownerId.trim()) &&
    (actions.length === 0 || actions.includes(e.action)) &&
    e.resource.startsWith(f.resourcePrefix) &&
    (f.result === AuditResult.UNSPECIFIED || e.result === f.result)
  );
}

function FilterFields({ value, onChange, withTimes }: { value: FilterDraft; onChange: (f: FilterDraft) => void; withTimes: boolean }) {
  const set = (patch: Partial<FilterDraft>) => onChange({ ...value, ...patch });
  return (
    <div className="grid">
      <Field label="Agent id">{(id) => <input id={id} value={value.agentId} onChange={(e) => set({ agentId: e.target.value })} />}</Field>
      <Field label="Owner id">{(id) => <input id={id} value={value.ownerId} onChange={(e) => set({ ownerId: e.target.value })} />}</Field>
      <Field label="Actions, comma-separated">{(id) => <input id={id} value={value.actions} onChange={(e) => set({ actions: e.target.value })} />}</Field>
      <Field label="Resource starts with">{(id) => <input id={id} value={value.resourcePrefix} onChange={(e) => set({ resourcePrefix: e.target.value })} />}</Field>
      <Field label="Result">
        {(id) => (
          <select id={id} value={value.result} onChange={(e) => set({ result: Number(e.target.value) })}>
            {[AuditResult.UNSPECIFIED, AuditResult.ALLOWED, AuditResult.DENIED, AuditResult.RATE_LIMITED, AuditResult.PENDING_APPROVAL].map((r) => (
              <option key={r} value={r}>{r === AuditResult.UNSPECIFIED ? 'any' : enumLabel(AuditResult, r, 'AUDIT_RESULT_')}</option>
            ))}
          </select>
        )}
      </Field>
      {withTimes && (
        <>
          <Field label="Since">{(id) => <input id={id} type="datetime-local" step="1" value={value.since} onChange={(e) => set({ since: e.target.value })} />}</Field>
          <Field label="Until">{(id) => <input id={id} type="datetime-local" step="1" value={value.until} onChange={(e) => set({ until: e.target.value })} />}</Field>
        </>
      )}
    </div>
  );
}

function EntryTable({ entries, label, caption }: { entries: readonly AuditEntry[]; label: string; caption?: ReactNode }) {
  return (
    <table aria-label={label}>
      {caption !== undefined && <caption>{caption}</caption>}
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Agent</th>
          <th scope="col">Action</th>
          <th scope="col">Resource</th>
          <th scope="col">Result</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} data-audit-id={e.id}>
            <td>{when(e.time)}</td>
            <td><code>{e.agentId}</code></td>
            <td>{e.action}</td>
            <td><code>{e.resource}</code></td>
            <td><span className={`result result-${e.result}`}>{enumLabel(AuditResult, e.result, 'AUDIT_RESULT_')}</span></td>
            <td>{e.reason === ReasonCode.UNSPECIFIED ? '' : enumLabel(ReasonCode, e.reason, 'REASON_CODE_')}</td>
            <td>{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const isEmpty = (f: FilterDraft) => f.agentId.trim() === '' && f.ownerId.trim() === '' && f.actions.trim() === '' && f.resourcePrefix === '' && f.result === AuditResult.UNSPECIFIED;

/**
 * Without a filter the page shows the console's own app-wide stream; with one applied it opens a
 * TailAudit stream with that filter (the server filters; resumed by cursor like the other).
 */
function LiveTail() {
  const [draft, setDraft] = useState<FilterDraft>(emptyFilter);
  const [filter, setFilter] = useState<FilterDraft>(emptyFilter);
  const [shown, setShown] = useState<AuditEntry[]>(() => [...recentEntries()].slice(0, 200));
  const [held, setHeld] = useState<AuditEntry[]>([]);
  const [paused, setPaused] = useState(false);
  const [filteredUp, setFilteredUp] = useState(false);
  const appWideUp = useLiveConnected();
  const filtered = !isEmpty(filter);
  const connected = filtered ? filteredUp : appWideUp;
  const add = useCallback(
    (e: AuditEntry) => {
      if (paused) setHeld((h) => [e, ...h]);
      else setShown((s) => [e, ...s].slice(0, 200));
    },
    [paused],
  );
  const appWide = useCallback((e: AuditEntry) => (filtered ? undefined : add(e)), [filtered, add]);
  useLiveEntries(appWide);
  // The stream outlives pause/resume (which change `add`): reopening it would lose its cursor.
  const addRef = useRef(add);
  addRef.current = add;
  useEffect(() => {
    if (!filtered) return undefined;
    const stop = new AbortController();
    setFilteredUp(false);
    void followTail(toFilter(filter), (e) => addRef.current(e), setFilteredUp, stop.signal);
    return () => stop.abort();
  }, [filtered, filter]);
  const apply = (next: FilterDraft) => {
    setFilter(next);
    setHeld([]);
    setShown([...recentEntries()].filter((e) => matches(e, next)).slice(0, 200));
  };
  const release = () => {
    setShown((s) => [...held, ...s].slice(0, 200));
    setHeld([]);
  };
  return (
    <section aria-labelledby="live-title">
      <h2 id="live-title">Live</h2>
      <p className="muted" aria-live="polite">{connected ? 'Streaming new entries.' : 'Connecting to the live stream…'}</p>
      <form
        aria-label="Filter the live stream"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <FilterFields value={draft} onChange={setDraft} withTimes={false} />
        <div className="row">
          <button type="submit">Apply filter</button>
          <button
            type="button"
            disabled={!filtered}
            onClick={() => {
              setDraft(emptyFilter);
              apply(emptyFilter);
            }}
          >
            Clear filter
          </button>
        </div>
      </form>
      <div className="row">
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            if (paused) release();
            setPaused(!paused);
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        {held.length > 0 && (
          <button type="button" className="marker" onClick={release}>
            {held.length} new {held.length === 1 ? 'entry' : 'entries'}
          </button>
        )}
      </div>
      <EntryTable entries={shown} label="Live audit entries" />
    </section>
  );
}

function download(parts: BlobPart[], type: string, name: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function QueryAndExport() {
  const [draft, setDraft] = useState<FilterDraft>(emptyFilter);
  const [applied, setApplied] = useState<FilterDraft>(emptyFilter);
  const [pageSize, setPageSize] = useState(50);
  const [pages, setPages] = useState<string[]>(['']);
  const [format, setFormat] = useState(ExportFormat.CSV);
  const [exporting, setExporting] = useState<{ bytes: number } | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exportDone, setExportDone] = useState('');
  const query = useQuery(AuditService.method.queryAudit, { filter: toFilter(applied), pageSize, pageToken: pages[pages.length - 1] ?? '' });

  const runExport = async () => {
    setExportError(null);
    setExportDone('');
    setExporting({ bytes: 0 });
    try {
      const client = createClient(AuditService, transport);
      const parts: BlobPart[] = [];
      let bytes = 0;
      for await (const chunk of client.exportAudit({ filter: toFilter(applied), format })) {
        parts.push(chunk.data as Uint8Array<ArrayBuffer>);
        bytes += chunk.data.byteLength;
        setExporting({ bytes });
      }
      const csv = format === ExportFormat.CSV;
      download(parts, csv ? 'text/csv' : 'application/x-ndjson', `kavach-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.${csv ? 'csv' : 'jsonl'}`);
      setExportDone(`Exported ${bytes} bytes.`);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(null);
    }
  };

  return (
    <section aria-labelledby="query-title">
      <h2 id="query-title">Search and export</h2>
      <form
        aria-label="Search the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
          setPages(['']);
        }}
      >
        <FilterFields value={draft} onChange={setDraft} withTimes />
        <div className="row">
          <label htmlFor="audit-page-size">Per page</label>
          <select id="audit-page-size" value={pageSize} onChange={(e) => { setPageSize(Number(e.target.value)); setPages(['']); }}>
            {[25, 50, 100, 500].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
          <button type="submit" className="primary">Search</button>
        </div>
      </form>
      <div className="row">
        <label htmlFor="export-format">Export as</label>
        <select id="export-format" value={format} onChange={(e) => setFormat(Number(e.target.value))}>
          <option value={ExportFormat.CSV}>CSV</option>
          <option value={ExportFormat.JSONL}>JSON lines</option>
        </select>
        <button type="button" onClick={() => void runExport()} disabled={exporting !== null}>
          Export matching entries
        </button>
        <span aria-live="polite">{exporting !== null ? `Exporting… ${exporting.bytes} bytes so far` : exportDone}</span>
      </div>
      <ErrorText error={exportError} />
      <ErrorText error={query.error} />
      <EntryTable
        entries={query.data?.entries ?? []}
        label="Audit search results"
        caption={query.data !== undefined ? `${query.data.total} matching entries` : undefined}
      />
      <nav className="pager" aria-label="Audit pages">
        <button type="button" disabled={pages.length <= 1} onClick={() => setPages((p) => p.slice(0, -1))}>Previous page</button>
        <span>Page {pages.length}</span>
        <button type="button" disabled={(query.data?.nextPageToken ?? '') === ''} onClick={() => setPages((p) => [...p, query.data?.nextPageToken ?? ''])}>Next page</button>
      </nav>
    </section>
  );
}

export function AuditPage() {
  const [tab, setTab] = useState<'live' | 'query'>('live');
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title" tabIndex={-1}>Audit log</h1>
      <Tabs
        label="Audit views"
        tabs={[
          ['live', 'Live tail'],
          ['query', 'Search and export'],
        ]}
        value={tab}
        onChange={setTab}
      >
        {tab === 'live' ? <LiveTail /> : <QueryAndExport />}
      </Tabs>
    </section>
  );
}
