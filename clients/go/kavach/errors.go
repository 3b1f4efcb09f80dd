package kavach

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Kind says what went wrong, independent of the transport. Every error a client built by this
// package returns is an *Error whose Kind is one of the Err* constants, so callers match with
// errors.Is(err, kavach.ErrNotFound) and read details with errors.As(err, &kerr).
type Kind string

// The kinds, after the seed SDK's exception classes and the server's status codes (DESIGN.md §4).
const (
	ErrAuthentication     Kind = "unauthenticated"     // missing, unknown, rotated or revoked credential
	ErrPermission         Kind = "permission_denied"   // the credential may not do this
	ErrNotFound           Kind = "not_found"           // no such record, or one the caller may not see
	ErrRateLimit          Kind = "rate_limited"        // throttled or a full quota; see Error.RetryAfter
	ErrInvalidArgument    Kind = "invalid_argument"    // malformed input; the message names the field
	ErrAlreadyExists      Kind = "already_exists"      // e.g. an email that is already signed up
	ErrFailedPrecondition Kind = "failed_precondition" // valid input the current state forbids
	ErrOutOfRange         Kind = "out_of_range"        // e.g. a tail cursor older than the retention
	ErrUnavailable        Kind = "unavailable"         // server or store down, or the network failed
	ErrCanceled           Kind = "canceled"            // the caller cancelled the call
	ErrDeadline           Kind = "deadline_exceeded"   // the call's deadline passed
	ErrServer             Kind = "server_error"        // Internal, Unknown, Unimplemented, DataLoss
)

// Error implements error, so a Kind can be the target of errors.Is.
func (k Kind) Error() string { return "kavach: " + string(k) }

// Error is a failed Kavach call.
type Error struct {
	Kind    Kind
	Message string
	// RetryAfter is the server's retry-after hint on ErrRateLimit (zero when it sent none).
	RetryAfter time.Duration
	// Cause is the transport's own error (a gRPC status or a *connect.Error).
	Cause error
}

func (e *Error) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("kavach: %s: %s (retry after %s)", string(e.Kind), e.Message, e.RetryAfter)
	}
	return fmt.Sprintf("kavach: %s: %s", string(e.Kind), e.Message)
}

// Is matches the error's Kind: errors.Is(err, kavach.ErrNotFound).
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

func (e *Error) Unwrap() error { return e.Cause }

var grpcKinds = map[codes.Code]Kind{
	codes.Unauthenticated:    ErrAuthentication,
	codes.PermissionDenied:   ErrPermission,
	codes.NotFound:           ErrNotFound,
	codes.ResourceExhausted:  ErrRateLimit,
	codes.InvalidArgument:    ErrInvalidArgument,
	codes.AlreadyExists:      ErrAlreadyExists,
	codes.FailedPrecondition: ErrFailedPrecondition,
	codes.OutOfRange:         ErrOutOfRange,
	codes.Unavailable:        ErrUnavailable,
	codes.Canceled:           ErrCanceled,
	codes.DeadlineExceeded:   ErrDeadline,
}

// KindOfCode maps a gRPC status code (Connect codes have the same numbers) to a Kind.
func KindOfCode(code codes.Code) Kind {
	if k, ok := grpcKinds[code]; ok {
		return k
	}
	return ErrServer
}

// retryAfter reads the first retry-after value (whole seconds) from any of the sources.
func retryAfter(values ...[]string) time.Duration {
	for _, vs := range values {
		for _, v := range vs {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

// fromGRPC converts an error from grpc-go, with the call's header and trailer metadata.
func fromGRPC(err error, header, trailer metadata.MD) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Kind: ErrUnavailable, Message: err.Error(), Cause: err}
	}
	e := &Error{Kind: KindOfCode(st.Code()), Message: st.Message(), Cause: err}
	if e.Kind == ErrRateLimit {
		e.RetryAfter = retryAfter(trailer.Get("retry-after"), header.Get("retry-after"))
	}
	return e
}

// fromConnect converts an error from connect-go.
func fromConnect(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		return &Error{Kind: ErrUnavailable, Message: err.Error(), Cause: err}
	}
	e := &Error{Kind: KindOfCode(codes.Code(cerr.Code())), Message: cerr.Message(), Cause: err}
	if e.Kind == ErrRateLimit {
		e.RetryAfter = retryAfter(cerr.Meta().Values("retry-after"))
	}
	return e
}
