package kavach

import (
	"context"
	"io"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	kavachv1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"
	"github.com/kavach-dev/kavach/clients/go/gen/kavach/v1/kavachv1connect"
)

// Connect is a Kavach client over the Connect protocol (connect-go). With the default
// http.Client it speaks HTTP/1.1, so it works through proxies and load balancers that do not
// carry HTTP/2. Every call carries the client's bearer token and fails with an *Error.
type Connect struct {
	Auth       kavachv1connect.AuthServiceClient
	Agents     kavachv1connect.AgentServiceClient
	Authorize  kavachv1connect.AuthorizeServiceClient
	Audit      kavachv1connect.AuditServiceClient
	Delegation kavachv1connect.DelegationServiceClient

	baseURL string
	opts    options
}

// NewConnect returns a client for the server at baseURL ("http://host:port").
func NewConnect(baseURL string, opts ...Option) *Connect {
	return newConnect(strings.TrimRight(baseURL, "/"), newOptions(opts))
}

func newConnect(baseURL string, o options) *Connect {
	httpClient := o.httpClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	copts := append([]connect.ClientOption{connect.WithInterceptors(interceptor{o.metadata()})}, o.connectOptions...)
	return &Connect{
		Auth:       kavachv1connect.NewAuthServiceClient(httpClient, baseURL, copts...),
		Agents:     kavachv1connect.NewAgentServiceClient(httpClient, baseURL, copts...),
		Authorize:  kavachv1connect.NewAuthorizeServiceClient(httpClient, baseURL, copts...),
		Audit:      kavachv1connect.NewAuditServiceClient(httpClient, baseURL, copts...),
		Delegation: kavachv1connect.NewDelegationServiceClient(httpClient, baseURL, copts...),
		baseURL:    baseURL,
		opts:       o,
	}
}

// WithToken returns a client that sends token as its bearer credential.
func (c *Connect) WithToken(token string) *Connect {
	o := c.opts
	o.token = token
	return newConnect(c.baseURL, o)
}

// OpenTail implements Tailer.
func (c *Connect) OpenTail(ctx context.Context, req *kavachv1.TailAuditRequest) (TailStream, error) {
	stream, err := c.Audit.TailAudit(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return connectTail{stream}, nil
}

type connectTail struct {
	stream *connect.ServerStreamForClient[kavachv1.TailAuditResponse]
}

func (t connectTail) Recv() (*kavachv1.TailAuditResponse, error) {
	if t.stream.Receive() {
		return t.stream.Msg(), nil
	}
	if err := t.stream.Err(); err != nil {
		return nil, fromConnect(err)
	}
	return nil, io.EOF
}

// interceptor adds the credential headers and converts every error to *Error.
type interceptor struct{ headers map[string][]string }

func (i interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		for k, vs := range i.headers {
			for _, v := range vs {
				req.Header().Add(k, v)
			}
		}
		res, err := next(ctx, req)
		return res, fromConnect(err)
	}
}

func (i interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		for k, vs := range i.headers {
			for _, v := range vs {
				conn.RequestHeader().Add(k, v)
			}
		}
		return errConn{conn}
	}
}

func (i interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

type errConn struct{ connect.StreamingClientConn }

func (c errConn) Receive(m any) error {
	err := c.StreamingClientConn.Receive(m)
	if err == nil || err == io.EOF {
		return err
	}
	return fromConnect(err)
}

func (c errConn) Send(m any) error {
	err := c.StreamingClientConn.Send(m)
	if err == nil || err == io.EOF {
		return err
	}
	return fromConnect(err)
}
