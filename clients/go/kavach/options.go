package kavach

import (
	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Option configures a client built by DialGRPC or NewConnect.
type Option func(*options)

type options struct {
	token          string
	tenant         string
	headers        map[string]string
	dialOptions    []grpc.DialOption
	httpClient     connect.HTTPClient
	connectOptions []connect.ClientOption
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// metadata is what every call sends: the bearer credential, the tenant, any extra headers.
func (o options) metadata() metadata.MD {
	md := metadata.MD{}
	for k, v := range o.headers {
		md.Append(k, v)
	}
	if o.token != "" {
		md.Set("authorization", "Bearer "+o.token)
	}
	if o.tenant != "" {
		md.Set("kavach-tenant", o.tenant)
	}
	return md
}

// WithToken sets the bearer credential: the admin token, a user session token or an agent token.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTenant names the tenant an admin token acts in (the kavach-tenant header).
func WithTenant(tenant string) Option { return func(o *options) { o.tenant = tenant } }

// WithHeader adds a header to every call.
func WithHeader(name, value string) Option {
	return func(o *options) {
		if o.headers == nil {
			o.headers = map[string]string{}
		}
		o.headers[name] = value
	}
}

// WithDialOptions passes options to grpc.NewClient (DialGRPC only), e.g. TLS credentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

// WithHTTPClient sets the HTTP client (NewConnect only); the default is http.DefaultClient.
func WithHTTPClient(c connect.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithConnectOptions passes options to the generated Connect clients (NewConnect only).
func WithConnectOptions(opts ...connect.ClientOption) Option {
	return func(o *options) { o.connectOptions = append(o.connectOptions, opts...) }
}
