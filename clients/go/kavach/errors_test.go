package kavach

import (
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Codes a healthy server cannot be made to send on purpose (Internal, Unimplemented...) are
// checked here on the conversion itself; the ring test checks the ones a client can provoke.
func TestEveryCodeMapsToAKind(t *testing.T) {
	want := map[codes.Code]Kind{
		codes.Unauthenticated: ErrAuthentication, codes.PermissionDenied: ErrPermission,
		codes.NotFound: ErrNotFound, codes.ResourceExhausted: ErrRateLimit,
		codes.InvalidArgument: ErrInvalidArgument, codes.AlreadyExists: ErrAlreadyExists,
		codes.FailedPrecondition: ErrFailedPrecondition, codes.OutOfRange: ErrOutOfRange,
		codes.Unavailable: ErrUnavailable, codes.Canceled: ErrCanceled,
		codes.DeadlineExceeded: ErrDeadline, codes.Internal: ErrServer, codes.Unknown: ErrServer,
		codes.Unimplemented: ErrServer, codes.DataLoss: ErrServer, codes.Aborted: ErrServer,
	}
	for code, kind := range want {
		g := fromGRPC(status.Error(code, "boom"), nil, nil)
		c := fromConnect(connect.NewError(connect.Code(code), errors.New("boom")))
		for _, err := range []error{g, c} {
			var kerr *Error
			if !errors.Is(err, kind) || !errors.As(err, &kerr) || kerr.Message != "boom" {
				t.Errorf("%v: want %s with message boom, got %#v", code, kind, err)
			}
		}
	}
}

func TestRetryAfterIsReadFromEitherTransport(t *testing.T) {
	g := fromGRPC(status.Error(codes.ResourceExhausted, "slow down"), nil, metadata.Pairs("retry-after", "7"))
	cerr := connect.NewError(connect.CodeResourceExhausted, errors.New("slow down"))
	cerr.Meta().Set("Retry-After", "7")
	for _, err := range []error{g, fromConnect(cerr)} {
		var kerr *Error
		if !errors.As(err, &kerr) || kerr.RetryAfter != 7*time.Second {
			t.Errorf("want RetryAfter 7s, got %#v", err)
		}
	}
	if fromGRPC(nil, nil, nil) != nil || fromConnect(nil) != nil {
		t.Error("nil must stay nil")
	}
}

func TestPermissionHelpersCopyAndAddConstraints(t *testing.T) {
	base := Execute("mcp:deploy:*")
	p := RateLimited(WithApproval(base), 100)
	if base.GetConstraints() != nil {
		t.Fatal("helpers must not change their argument")
	}
	if !p.GetConstraints().GetRequireApproval() || p.GetConstraints().GetMaxCallsPerHour() != 100 {
		t.Fatalf("constraints lost: %v", p)
	}
	if got := ReadWrite("x").GetActions(); len(got) != 2 || got[0] != "read" || got[1] != "write" {
		t.Fatalf("ReadWrite: %v", got)
	}
	if got := FullAccess("x").GetActions(); len(got) != 1 || got[0] != "*" {
		t.Fatalf("FullAccess: %v", got)
	}
	r := WithRange(WithAllowedValues(WithArgumentGlob(Read("fs:*"), "path", "/tmp/**"), "mode", "ro"), "size", 0, 10)
	if n := len(r.GetConstraints().GetArgumentRules()); n != 3 {
		t.Fatalf("want 3 argument rules, got %d", n)
	}
}
