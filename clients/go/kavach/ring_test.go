package kavach_test

// Against a real Kavach (scripts/rings/go-client.ring.mjs starts one on the embedded store and
// sets KAVACH_URL and KAVACH_ADMIN_TOKEN): every flow runs over gRPC (grpc-go, HTTP/2) and over
// the Connect protocol (connect-go, HTTP/1.1).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	v1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"
	"github.com/kavach-dev/kavach/clients/go/kavach"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

type call[Req, Res any] func(context.Context, *Req) (*Res, error)

func viaGRPC[Req, Res any](f func(context.Context, *Req, ...grpc.CallOption) (*Res, error)) call[Req, Res] {
	return func(ctx context.Context, r *Req) (*Res, error) { return f(ctx, r) }
}

func viaConnect[Req, Res any](f func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) call[Req, Res] {
	return func(ctx context.Context, r *Req) (*Res, error) {
		res, err := f(ctx, connect.NewRequest(r))
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}
}

// api is the part of the client these tests drive, the same over both transports.
type api struct {
	withToken        func(token string) api
	tailer           kavach.Tailer
	signUp           call[v1.SignUpRequest, v1.SignUpResponse]
	signIn           call[v1.SignInRequest, v1.SignInResponse]
	createAgent      call[v1.CreateAgentRequest, v1.CreateAgentResponse]
	getAgent         call[v1.GetAgentRequest, v1.GetAgentResponse]
	authorize        call[v1.AuthorizeRequest, v1.AuthorizeResponse]
	authorizeBatch   call[v1.AuthorizeBatchRequest, v1.AuthorizeBatchResponse]
	listApprovals    call[v1.ListApprovalsRequest, v1.ListApprovalsResponse]
	approveRequest   call[v1.ApproveRequestRequest, v1.ApproveRequestResponse]
	createDelegation call[v1.CreateDelegationRequest, v1.CreateDelegationResponse]
}

func grpcAPI(c *kavach.GRPC) api {
	return api{
		withToken:        func(token string) api { return grpcAPI(c.WithToken(token)) },
		tailer:           c,
		signUp:           viaGRPC(c.Auth.SignUp),
		signIn:           viaGRPC(c.Auth.SignIn),
		createAgent:      viaGRPC(c.Agents.CreateAgent),
		getAgent:         viaGRPC(c.Agents.GetAgent),
		authorize:        viaGRPC(c.Authorize.Authorize),
		authorizeBatch:   viaGRPC(c.Authorize.AuthorizeBatch),
		listApprovals:    viaGRPC(c.Authorize.ListApprovals),
		approveRequest:   viaGRPC(c.Authorize.ApproveRequest),
		createDelegation: viaGRPC(c.Delegation.CreateDelegation),
	}
}

func connectAPI(c *kavach.Connect) api {
	return api{
		withToken:        func(token string) api { return connectAPI(c.WithToken(token)) },
		tailer:           c,
		signUp:           viaConnect(c.Auth.SignUp),
		signIn:           viaConnect(c.Auth.SignIn),
		createAgent:      viaConnect(c.Agents.CreateAgent),
		getAgent:         viaConnect(c.Agents.GetAgent),
		authorize:        viaConnect(c.Authorize.Authorize),
		authorizeBatch:   viaConnect(c.Authorize.AuthorizeBatch),
		listApprovals:    viaConnect(c.Authorize.ListApprovals),
		approveRequest:   viaConnect(c.Authorize.ApproveRequest),
		createDelegation: viaConnect(c.Delegation.CreateDelegation),
	}
}

func server(t *testing.T) (baseURL, target string) {
	t.Helper()
	baseURL = os.Getenv("KAVACH_URL")
	if baseURL == "" {
		t.Skip("KAVACH_URL is not set: run through scripts/rings/go-client.ring.mjs (npm test), which starts a server")
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("KAVACH_URL: %v", err)
	}
	return baseURL, u.Host
}

// transports returns an anonymous client per transport.
func transports(t *testing.T) map[string]api {
	baseURL, target := server(t)
	g, err := kavach.DialGRPC(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return map[string]api{"grpc": grpcAPI(g), "connect": connectAPI(kavach.NewConnect(baseURL))}
}

func unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

const password = "correct-Horse-battery-staple-42"

// world is a signed-up user with one agent whose permissions the tests exercise.
type world struct {
	anon, user, agent api
	agentID           string
	agentToken        string
	email             string
}

func newWorld(t *testing.T, ctx context.Context, anon api) world {
	t.Helper()
	email := unique("go-ring-") + "@example.com"
	up, err := anon.signUp(ctx, &v1.SignUpRequest{Email: email, Password: password, Name: "Go Ring"})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	user := anon.withToken(up.GetSessionToken())
	created, err := user.createAgent(ctx, &v1.CreateAgentRequest{
		OwnerId: up.GetUser().GetId(),
		Name:    unique("agent-"),
		Type:    v1.AgentType_AGENT_TYPE_AUTONOMOUS,
		Permissions: []*v1.Permission{
			kavach.Read("mcp:github:*"),
			kavach.Read("tail:*"),
			kavach.WithAllowedValues(kavach.Execute("mcp:deploy:*"), "env", "staging", "dev"),
			kavach.WithApproval(kavach.Execute("mcp:db:drop")),
		},
	})
	if err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	if created.GetToken() == "" || created.GetAgent().GetId() == "" {
		t.Fatalf("CreateAgent returned no token or id: %v", created)
	}
	return world{anon: anon, user: user, agent: anon.withToken(created.GetToken()), agentID: created.GetAgent().GetId(), agentToken: created.GetToken(), email: email}
}

func args(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func expectKind(t *testing.T, err error, kind kavach.Kind) *kavach.Error {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("want %s, got %v", kind, err)
	}
	var kerr *kavach.Error
	if !errors.As(err, &kerr) || kerr.Message == "" {
		t.Fatalf("want an *kavach.Error with a message, got %#v", err)
	}
	return kerr
}

func TestAuthorizeAllowedAndDeniedWithArguments(t *testing.T) {
	for name, anon := range transports(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, ctx, anon)
			// The agent authorizes itself with its own token, as a gateway holding it would.
			ok, err := w.agent.authorize(ctx, &v1.AuthorizeRequest{Action: "execute", Resource: "mcp:deploy:web", Arguments: args(t, map[string]any{"env": "staging"})})
			if err != nil || !ok.GetAllowed() || ok.GetReason() != v1.ReasonCode_REASON_CODE_ALLOWED || ok.GetAuditId() == "" {
				t.Fatalf("staging deploy: %v %v", ok, err)
			}
			no, err := w.agent.authorize(ctx, &v1.AuthorizeRequest{Action: "execute", Resource: "mcp:deploy:web", Arguments: args(t, map[string]any{"env": "production"})})
			if err != nil || no.GetAllowed() || no.GetReason() != v1.ReasonCode_REASON_CODE_ARGUMENT_REJECTED || no.GetAuditId() == "" {
				t.Fatalf("production deploy: %v %v", no, err)
			}
			// The owner authorizes by agent id.
			none, err := w.user.authorize(ctx, &v1.AuthorizeRequest{AgentId: w.agentID, Action: "write", Resource: "mcp:github:repos"})
			if err != nil || none.GetAllowed() || none.GetReason() != v1.ReasonCode_REASON_CODE_NO_MATCHING_PERMISSION {
				t.Fatalf("write github: %v %v", none, err)
			}
		})
	}
}

func TestAuthorizeBatch(t *testing.T) {
	for name, anon := range transports(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, ctx, anon)
			res, err := w.user.authorizeBatch(ctx, &v1.AuthorizeBatchRequest{Checks: []*v1.AuthorizeRequest{
				{AgentId: w.agentID, Action: "read", Resource: "mcp:github:repos"},
				{AgentId: w.agentID, Action: "execute", Resource: "mcp:deploy:api", Arguments: args(t, map[string]any{"env": "prod"})},
				{AgentId: w.agentID, Action: "delete", Resource: "mcp:github:repos"},
				{AgentId: "agt_does_not_exist", Action: "read", Resource: "mcp:github:repos"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			want := []v1.ReasonCode{
				v1.ReasonCode_REASON_CODE_ALLOWED,
				v1.ReasonCode_REASON_CODE_ARGUMENT_REJECTED,
				v1.ReasonCode_REASON_CODE_NO_MATCHING_PERMISSION,
				v1.ReasonCode_REASON_CODE_AGENT_NOT_FOUND,
			}
			if len(res.GetDecisions()) != len(want) {
				t.Fatalf("want %d decisions, got %v", len(want), res.GetDecisions())
			}
			for i, d := range res.GetDecisions() {
				if d.GetReason() != want[i] || d.GetAllowed() != (i == 0) {
					t.Errorf("decision %d: want %v, got %v", i, want[i], d)
				}
			}
		})
	}
}

func TestApprovalRoundTrip(t *testing.T) {
	for name, anon := range transports(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, ctx, anon)
			drop := &v1.AuthorizeRequest{Action: "execute", Resource: "mcp:db:drop", Arguments: args(t, map[string]any{"table": "users"})}
			first, err := w.agent.authorize(ctx, drop)
			if err != nil || first.GetAllowed() || first.GetReason() != v1.ReasonCode_REASON_CODE_APPROVAL_REQUIRED || first.GetApprovalId() == "" {
				t.Fatalf("first call: %v %v", first, err)
			}
			again, err := w.agent.authorize(ctx, drop)
			if err != nil || again.GetApprovalId() != first.GetApprovalId() {
				t.Fatalf("a repeated call must return the pending approval %s: %v %v", first.GetApprovalId(), again, err)
			}
			pending, err := w.user.listApprovals(ctx, &v1.ListApprovalsRequest{AgentId: w.agentID, Status: v1.ApprovalStatus_APPROVAL_STATUS_PENDING})
			if err != nil || len(pending.GetApprovals()) != 1 || pending.GetApprovals()[0].GetId() != first.GetApprovalId() {
				t.Fatalf("pending approvals: %v %v", pending, err)
			}
			// An agent never decides an approval.
			_, err = w.agent.approveRequest(ctx, &v1.ApproveRequestRequest{ApprovalId: first.GetApprovalId()})
			expectKind(t, err, kavach.ErrPermission)
			approved, err := w.user.approveRequest(ctx, &v1.ApproveRequestRequest{ApprovalId: first.GetApprovalId(), Reason: "ticket OPS-1"})
			if err != nil || approved.GetApproval().GetStatus() != v1.ApprovalStatus_APPROVAL_STATUS_APPROVED {
				t.Fatalf("approve: %v %v", approved, err)
			}
			allowed, err := w.agent.authorize(ctx, drop)
			if err != nil || !allowed.GetAllowed() {
				t.Fatalf("the approved call must be allowed once: %v %v", allowed, err)
			}
			after, err := w.agent.authorize(ctx, drop)
			if err != nil || after.GetAllowed() || after.GetReason() != v1.ReasonCode_REASON_CODE_APPROVAL_REQUIRED || after.GetApprovalId() == first.GetApprovalId() {
				t.Fatalf("an approval allows exactly one call: %v %v", after, err)
			}
		})
	}
}

// firstCursor opens a tail with no cursor (the present) and returns the first event's cursor:
// the ring's server sends heartbeats every 100 ms, so one arrives while the log is idle.
func firstCursor(t *testing.T, ctx context.Context, tailer kavach.Tailer, filter *v1.AuditFilter) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := tailer.OpenTail(ctx, &v1.TailAuditRequest{Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil || res.GetCursor() == "" {
		t.Fatalf("first tail event: %v %v", res, err)
	}
	return res.GetCursor()
}

func TestTailAuditResumesByCursor(t *testing.T) {
	for name, anon := range transports(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, ctx, anon)
			filter := &v1.AuditFilter{AgentId: w.agentID, ResourcePrefix: "tail:"}
			start := firstCursor(t, ctx, w.user.tailer, filter)
			decide := func(resource string) {
				if res, err := w.agent.authorize(ctx, &v1.AuthorizeRequest{Action: "read", Resource: resource}); err != nil || !res.GetAllowed() {
					t.Fatalf("authorize %s: %v %v", resource, res, err)
				}
			}
			for _, r := range []string{"tail:1", "tail:2", "tail:3"} {
				decide(r)
			}
			read := func(cursor string, n int) (resources []string, last string) {
				tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				err := kavach.TailAudit(tctx, w.user.tailer, kavach.TailOptions{Filter: filter, Cursor: cursor},
					func(e *v1.AuditEntry, c string) error {
						resources = append(resources, e.GetResource())
						last = c
						if len(resources) == n {
							return kavach.StopTail
						}
						return nil
					})
				if err != nil {
					t.Fatalf("TailAudit after %q: %v (got %v)", cursor, err, resources)
				}
				return resources, last
			}
			got, cursor := read(start, 2)
			if len(got) != 2 || got[0] != "tail:1" || got[1] != "tail:2" {
				t.Fatalf("first read: %v", got)
			}
			decide("tail:4")
			got, _ = read(cursor, 2)
			if len(got) != 2 || got[0] != "tail:3" || got[1] != "tail:4" {
				t.Fatalf("resumed read must give every later entry exactly once: %v", got)
			}
			// A malformed cursor is the caller's mistake, not something to retry.
			err := kavach.TailAudit(ctx, w.user.tailer, kavach.TailOptions{Filter: filter, Cursor: "not-a-cursor"},
				func(*v1.AuditEntry, string) error { return nil })
			expectKind(t, err, kavach.ErrInvalidArgument)
		})
	}
}

func TestErrorCodesArriveAsTypedErrors(t *testing.T) {
	for name, anon := range transports(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, ctx, anon)

			_, err := anon.withToken("kv_"+unique("bogus")).getAgent(ctx, &v1.GetAgentRequest{AgentId: w.agentID})
			expectKind(t, err, kavach.ErrAuthentication)

			_, err = w.user.getAgent(ctx, &v1.GetAgentRequest{AgentId: "agt_" + unique("missing")})
			expectKind(t, err, kavach.ErrNotFound)

			_, err = w.agent.authorize(ctx, &v1.AuthorizeRequest{Action: "read", Resource: "mcp:github:*"})
			kerr := expectKind(t, err, kavach.ErrInvalidArgument)
			if kerr.Message == "" {
				t.Fatal("InvalidArgument must name the field")
			}

			_, err = anon.signUp(ctx, &v1.SignUpRequest{Email: w.email, Password: password, Name: "again"})
			expectKind(t, err, kavach.ErrAlreadyExists)

			_, err = w.agent.createDelegation(ctx, &v1.CreateDelegationRequest{FromAgentId: w.agentID, ToAgentId: w.agentID, Permissions: []*v1.Permission{kavach.Read("mcp:github:repos")}, MaxDepth: 1})
			expectKind(t, err, kavach.ErrFailedPrecondition)

			_, err = w.agent.approveRequest(ctx, &v1.ApproveRequestRequest{ApprovalId: "apr_" + unique("x")})
			if !errors.Is(err, kavach.ErrPermission) && !errors.Is(err, kavach.ErrNotFound) {
				t.Fatalf("an agent deciding an approval: %v", err)
			}

			// Repeated wrong passwords: the first ones are Unauthenticated, then the email is
			// throttled with ResourceExhausted and a retry-after hint.
			var limited *kavach.Error
			for i := 0; i < 10 && limited == nil; i++ {
				_, err = anon.signIn(ctx, &v1.SignInRequest{Email: w.email, Password: "wrong-" + password})
				if errors.Is(err, kavach.ErrRateLimit) {
					limited = expectKind(t, err, kavach.ErrRateLimit)
				} else {
					expectKind(t, err, kavach.ErrAuthentication)
				}
			}
			if limited == nil || limited.RetryAfter < time.Second {
				t.Fatalf("want ErrRateLimit with RetryAfter >= 1s, got %v", limited)
			}
		})
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	server(t)
	g, err := kavach.DialGRPC("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = g.Auth.SignIn(ctx, &v1.SignInRequest{Email: "a@example.com", Password: password})
	expectKind(t, err, kavach.ErrUnavailable)
	_, err = kavach.NewConnect("http://127.0.0.1:1").Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Email: "a@example.com", Password: password}))
	expectKind(t, err, kavach.ErrUnavailable)
}

// The README's Go example, run as written (the ring checks that the README shows this file).
func TestQuickstartExample(t *testing.T) {
	baseURL, _ := server(t)
	g, err := kavach.DialGRPC(baseURL[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	w := newWorld(t, ctx, grpcAPI(g))
	up, err := w.anon.signIn(ctx, &v1.SignInRequest{Email: w.email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./examples/quickstart")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "KAVACH_URL="+baseURL, "KAVACH_AGENT_TOKEN="+w.agentToken, "KAVACH_TOKEN="+up.GetSessionToken())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./examples/quickstart: %v\n%s", err, out)
	}
	for _, want := range []string{
		"decision: allowed=true reason=REASON_CODE_ALLOWED audit_id=",
		"audit: " + w.agentID + " read mcp:github:repos -> AUDIT_RESULT_ALLOWED (cursor ",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("example output lacks %q:\n%s", want, out)
		}
	}
}
