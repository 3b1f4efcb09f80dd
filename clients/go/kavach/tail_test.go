package kavach

import (
	"context"
	"errors"
	"io"
	"testing"

	kavachv1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"
)

// fakeTailer serves scripted streams and records the cursor each one was opened with.
type fakeTailer struct {
	streams [][]any // each item: *kavachv1.TailAuditResponse or error (ends the stream)
	opened  []string
}

type fakeStream struct{ items []any }

func (s *fakeStream) Recv() (*kavachv1.TailAuditResponse, error) {
	if len(s.items) == 0 {
		return nil, io.EOF
	}
	item := s.items[0]
	s.items = s.items[1:]
	if err, ok := item.(error); ok {
		return nil, err
	}
	return item.(*kavachv1.TailAuditResponse), nil
}

func (f *fakeTailer) OpenTail(_ context.Context, req *kavachv1.TailAuditRequest) (TailStream, error) {
	f.opened = append(f.opened, req.GetCursor())
	if len(f.opened) > len(f.streams) {
		return nil, &Error{Kind: ErrAuthentication, Message: "no more scripted streams"}
	}
	return &fakeStream{items: f.streams[len(f.opened)-1]}, nil
}

func entry(cursor, id string) *kavachv1.TailAuditResponse {
	return &kavachv1.TailAuditResponse{Cursor: cursor, Event: &kavachv1.TailAuditResponse_Entry{Entry: &kavachv1.AuditEntry{Id: id}}}
}

func heartbeat(cursor string) *kavachv1.TailAuditResponse {
	return &kavachv1.TailAuditResponse{Cursor: cursor, Event: &kavachv1.TailAuditResponse_Heartbeat{Heartbeat: &kavachv1.Heartbeat{}}}
}

func TestTailAuditReopensAfterTheLastCursorOnABrokenStream(t *testing.T) {
	f := &fakeTailer{streams: [][]any{
		{heartbeat("c0"), entry("c1", "a"), &Error{Kind: ErrUnavailable, Message: "connection reset"}},
		{heartbeat("c2"), &Error{Kind: ErrRateLimit, Message: "reader fell behind"}},
		{entry("c3", "b"), io.EOF},
		{entry("c4", "c")},
	}}
	var got []string
	var beats []string
	err := TailAudit(context.Background(), f, TailOptions{Cursor: "start", OnHeartbeat: func(c string) { beats = append(beats, c) }},
		func(e *kavachv1.AuditEntry, cursor string) error {
			got = append(got, e.GetId()+"@"+cursor)
			if len(got) == 3 {
				return StopTail
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a@c1", "b@c3", "c@c4"}; !equal(got, want) {
		t.Fatalf("entries: want %v, got %v", want, got)
	}
	if want := []string{"start", "c1", "c2", "c3"}; !equal(f.opened, want) {
		t.Fatalf("each reopen must resume after the last cursor seen (entry or heartbeat): want %v, got %v", want, f.opened)
	}
	if want := []string{"c0", "c2"}; !equal(beats, want) {
		t.Fatalf("heartbeats: want %v, got %v", want, beats)
	}
}

func TestTailAuditReturnsErrorsARetryCannotFix(t *testing.T) {
	f := &fakeTailer{streams: [][]any{{&Error{Kind: ErrInvalidArgument, Message: "cursor is malformed"}}}}
	err := TailAudit(context.Background(), f, TailOptions{Cursor: "bad"}, func(*kavachv1.AuditEntry, string) error { return nil })
	if !errors.Is(err, ErrInvalidArgument) || len(f.opened) != 1 {
		t.Fatalf("want ErrInvalidArgument after one attempt, got %v after %d", err, len(f.opened))
	}
	boom := errors.New("handler failed")
	f = &fakeTailer{streams: [][]any{{entry("c1", "a")}}}
	if err := TailAudit(context.Background(), f, TailOptions{}, func(*kavachv1.AuditEntry, string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("a handler's error must be returned, got %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
