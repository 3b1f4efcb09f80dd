package kavach

import (
	"context"
	"errors"
	"io"
	"time"

	kavachv1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"
)

// TailStream is an open TailAudit stream: Recv returns the next event, io.EOF when the server
// ended the stream, or an *Error.
type TailStream interface {
	Recv() (*kavachv1.TailAuditResponse, error)
}

// Tailer opens TailAudit streams; *GRPC and *Connect implement it.
type Tailer interface {
	OpenTail(ctx context.Context, req *kavachv1.TailAuditRequest) (TailStream, error)
}

// StopTail, returned by a TailAudit handler, ends the tail without an error.
var StopTail = errors.New("kavach: stop tail")

// TailOptions selects what TailAudit follows.
type TailOptions struct {
	// Filter narrows the entries (nil: every entry the credential may see).
	Filter *kavachv1.AuditFilter
	// Cursor resumes after the event that carried it; empty starts at the present.
	Cursor string
	// OnHeartbeat, when set, is called with the cursor of each heartbeat: the server sends one
	// as soon as a tail without a cursor is live, and then whenever the log is idle.
	OnHeartbeat func(cursor string)
	// MaxBackoff caps the wait between reconnects (default 5 s); the first wait is 100 ms.
	MaxBackoff time.Duration
}

// TailAudit follows the audit log and calls handle with each entry and its cursor, in order,
// until ctx ends (it returns ctx.Err()), handle returns StopTail (nil) or another error (that
// error), or the server refuses the tail for a reason a retry cannot fix (an *Error such as
// ErrAuthentication, ErrInvalidArgument for a malformed cursor, or ErrOutOfRange for one older
// than the retention).
//
// Heartbeats are not passed to handle, but their cursors are kept. When the stream breaks (the
// network, a restarting server, or a reader that fell too far behind and was cut off with
// ErrRateLimit), TailAudit reopens it after the last cursor it saw, so each entry reaches handle
// exactly once. Persist the cursor handle receives to resume across restarts of your program.
func TailAudit(ctx context.Context, t Tailer, opts TailOptions, handle func(entry *kavachv1.AuditEntry, cursor string) error) error {
	maxBackoff := opts.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 5 * time.Second
	}
	cursor := opts.Cursor
	backoff := 100 * time.Millisecond
	for {
		err := tailOnce(ctx, t, opts, &cursor, handle, func() { backoff = 100 * time.Millisecond })
		if errors.Is(err, StopTail) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !resumable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// tailOnce runs one stream until it ends, advancing *cursor past every event it receives.
func tailOnce(ctx context.Context, t Tailer, opts TailOptions, cursor *string,
	handle func(*kavachv1.AuditEntry, string) error, progressed func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := t.OpenTail(ctx, &kavachv1.TailAuditRequest{Filter: opts.Filter, Cursor: *cursor})
	if err != nil {
		return err
	}
	for {
		res, err := stream.Recv()
		if err != nil {
			return err
		}
		progressed()
		if entry := res.GetEntry(); entry != nil {
			if err := handle(entry, res.GetCursor()); err != nil {
				return err
			}
		} else if opts.OnHeartbeat != nil {
			opts.OnHeartbeat(res.GetCursor())
		}
		if res.GetCursor() != "" {
			*cursor = res.GetCursor()
		}
	}
}

// resumable: the stream broke in a way that reopening after the last cursor repairs.
func resumable(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRateLimit)
}
