package kavach

import (
	"context"
	"errors"
	"io"

	kavachv1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// GRPC is a Kavach client over gRPC (HTTP/2, grpc-go). Its fields are the generated service
// clients; every call carries the client's bearer token and fails with an *Error.
type GRPC struct {
	Auth       kavachv1.AuthServiceClient
	Agents     kavachv1.AgentServiceClient
	Authorize  kavachv1.AuthorizeServiceClient
	Audit      kavachv1.AuditServiceClient
	Delegation kavachv1.DelegationServiceClient

	conn *grpc.ClientConn
	opts options
}

// DialGRPC connects to target ("host:port"). Without WithDialOptions supplying transport
// credentials the connection is plaintext (h2c), as for a server on localhost or behind a mesh.
func DialGRPC(target string, opts ...Option) (*GRPC, error) {
	o := newOptions(opts)
	dial := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, o.dialOptions...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, err
	}
	return newGRPC(conn, o), nil
}

func newGRPC(conn *grpc.ClientConn, o options) *GRPC {
	cc := callConn{conn: conn, md: o.metadata()}
	return &GRPC{
		Auth:       kavachv1.NewAuthServiceClient(cc),
		Agents:     kavachv1.NewAgentServiceClient(cc),
		Authorize:  kavachv1.NewAuthorizeServiceClient(cc),
		Audit:      kavachv1.NewAuditServiceClient(cc),
		Delegation: kavachv1.NewDelegationServiceClient(cc),
		conn:       conn,
		opts:       o,
	}
}

// WithToken returns a client on the same connection that sends token as its bearer credential
// (a user session after SignIn, or an agent token for Authorize).
func (c *GRPC) WithToken(token string) *GRPC {
	o := c.opts
	o.token = token
	return newGRPC(c.conn, o)
}

// Close closes the connection shared by every client derived from this one.
func (c *GRPC) Close() error { return c.conn.Close() }

// OpenTail implements Tailer.
func (c *GRPC) OpenTail(ctx context.Context, req *kavachv1.TailAuditRequest) (TailStream, error) {
	stream, err := c.Audit.TailAudit(ctx, req)
	if err != nil {
		return nil, err
	}
	return grpcTail{stream}, nil
}

type grpcTail struct {
	stream grpc.ServerStreamingClient[kavachv1.TailAuditResponse]
}

func (t grpcTail) Recv() (*kavachv1.TailAuditResponse, error) { return t.stream.Recv() }

// callConn adds the credential headers to every call and converts every error to *Error,
// reading retry-after from the response metadata.
type callConn struct {
	conn *grpc.ClientConn
	md   metadata.MD
}

func (c callConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	var header, trailer metadata.MD
	ctx = metadata.NewOutgoingContext(ctx, metadata.Join(outgoing(ctx), c.md))
	err := c.conn.Invoke(ctx, method, args, reply, append(opts, grpc.Header(&header), grpc.Trailer(&trailer))...)
	return fromGRPC(err, header, trailer)
}

func (c callConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx = metadata.NewOutgoingContext(ctx, metadata.Join(outgoing(ctx), c.md))
	s, err := c.conn.NewStream(ctx, desc, method, opts...)
	if err != nil {
		return nil, fromGRPC(err, nil, nil)
	}
	return errStream{s}, nil
}

func outgoing(ctx context.Context) metadata.MD {
	md, _ := metadata.FromOutgoingContext(ctx)
	return md
}

type errStream struct{ grpc.ClientStream }

func (s errStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	header, _ := s.ClientStream.Header()
	return fromGRPC(err, header, s.ClientStream.Trailer())
}
