// Quickstart: a backend that received an agent's token authorizes the agent's tool call, while
// the agent's owner follows the audit log and sees the decision arrive.
//
//	KAVACH_URL=http://127.0.0.1:8080 KAVACH_AGENT_TOKEN=kv_... KAVACH_TOKEN=kvs_... go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"connectrpc.com/connect"
	kavachv1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"
	"github.com/kavach-dev/kavach/clients/go/kavach"
	"google.golang.org/protobuf/types/known/structpb"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := os.Getenv("KAVACH_URL")
	agent := kavach.NewConnect(url, kavach.WithToken(os.Getenv("KAVACH_AGENT_TOKEN")))               // Connect over HTTP/1.1
	owner, err := kavach.DialGRPC(url[len("http://"):], kavach.WithToken(os.Getenv("KAVACH_TOKEN"))) // gRPC over h2c
	if err != nil {
		log.Fatal(err)
	}
	defer owner.Close()

	// Once the owner's tail is live (its first heartbeat), authorize a tool call as the agent.
	var once sync.Once
	decided := make(chan struct{})
	live := func(string) {
		once.Do(func() {
			go func() {
				defer close(decided)
				args, _ := structpb.NewStruct(map[string]any{"repo": "kavach", "branch": "main"})
				res, err := agent.Authorize.Authorize(ctx, connect.NewRequest(&kavachv1.AuthorizeRequest{
					Action: "read", Resource: "mcp:github:repos", Arguments: args,
				}))
				if err != nil {
					log.Fatal(err) // an *kavach.Error: errors.Is(err, kavach.ErrAuthentication) etc.
				}
				fmt.Printf("decision: allowed=%t reason=%s audit_id=%s\n", res.Msg.GetAllowed(), res.Msg.GetReason(), res.Msg.GetAuditId())
			}()
		})
	}

	// Follow the audit log; save the cursor to resume after a restart (TailOptions.Cursor).
	err = kavach.TailAudit(ctx, owner, kavach.TailOptions{OnHeartbeat: live},
		func(e *kavachv1.AuditEntry, cursor string) error {
			fmt.Printf("audit: %s %s %s -> %s (cursor %s)\n", e.GetAgentId(), e.GetAction(), e.GetResource(), e.GetResult(), cursor)
			return kavach.StopTail // one entry is enough for a demo
		})
	if err != nil {
		log.Fatal(err)
	}
	<-decided
}
