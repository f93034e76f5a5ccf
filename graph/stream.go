package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/viewer"
)

// Close codes of the graphql-transport-ws protocol that Parley sends.
const (
	// CloseForbidden: a missing or invalid key in connection_init. Clients
	// treat 4xxx as fatal; 1000 would make them reconnect in a loop.
	CloseForbidden = 4403
	// CloseInternal: the key could not be checked (database unavailable).
	CloseInternal = 4500
	// CloseGoingAway: the server is shutting down.
	CloseGoingAway = 1001
)

// StreamOptions configure the streaming transports (websocket and SSE).
type StreamOptions struct {
	// Authenticate checks the key of a websocket's connection_init (the
	// browser's WebSocket cannot send headers); nil refuses every socket.
	Authenticate func(ctx context.Context, key string) (viewer.Viewer, error)
	// AllowedOrigins are the host patterns (path.Match, e.g.
	// "app.example.com", "*.example.com") whose pages may open a websocket,
	// besides the server's own host.
	AllowedOrigins []string
	// PingInterval is how often the server pings each websocket (and writes
	// an SSE comment); a websocket that does not answer within two
	// intervals is closed. 0: DefaultPingInterval.
	PingInterval time.Duration
	// Shutdown, when closed, closes every websocket with 1001.
	Shutdown <-chan struct{}
}

// DefaultPingInterval keeps idle connections open through proxies that
// drop silent ones after a minute.
const DefaultPingInterval = sse.DefaultPing

// IsStream reports whether r opens a stream (websocket or SSE), which
// lives past the request deadline.
func IsStream(r *http.Request) bool {
	return isUpgrade(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// IsWebsocket reports whether r asks for a websocket; its key comes in
// connection_init, so it skips the header check.
func IsWebsocket(r *http.Request) bool { return isUpgrade(r) }

type websocketKey struct{}

func isWebsocket(ctx context.Context) bool { return ctx.Value(websocketKey{}) != nil }

// wsTransport is gqlgen's websocket transport (graphql-transport-ws, and
// the older graphql-ws) with the origin checked first, the key taken from
// connection_init, and each socket closed with 1001 on shutdown.
type wsTransport struct {
	transport.Websocket
	origins []string
}

func newWSTransport(o StreamOptions) wsTransport {
	ping := o.PingInterval
	if ping <= 0 {
		ping = DefaultPingInterval
	}
	return wsTransport{
		origins: o.AllowedOrigins,
		Websocket: transport.Websocket{
			Implementation: trackedImpl{
				inner:    transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: o.AllowedOrigins}},
				shutdown: o.Shutdown,
			},
			InitFunc:              initFunc(o.Authenticate),
			InitTimeout:           10 * time.Second,
			KeepAlivePingInterval: ping, // the older graphql-ws protocol
			PingPongInterval:      ping, // graphql-transport-ws: ping, expect pong
		},
	}
}

func (t wsTransport) Supports(r *http.Request) bool { return isUpgrade(r) }

func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !originAllowed(r, t.origins) {
		writeRefusal(w, r, exec, http.StatusForbidden, apperr.Invalidf("pages from %s may not open a websocket to this server", r.Header.Get("Origin")))
		return
	}
	t.Websocket.Do(w, r, exec)
}

// originAllowed lets a request without Origin (not a browser), from the
// server's own host, or from an allowed host pattern through.
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// initFunc authenticates connection_init's key: {"Authorization": "Bearer
// sk_..."} (or "authorization", or {"apiKey": "sk_..."}). A refusal closes
// the socket with 4403, not gqlgen's default 1000.
func initFunc(auth func(context.Context, string) (viewer.Viewer, error)) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		key := p.GetString("apiKey")
		if h := p.Authorization(); h != "" {
			scheme, k, ok := strings.Cut(h, " ")
			if ok && strings.EqualFold(scheme, "Bearer") {
				key = strings.TrimSpace(k)
			}
		}
		forbidden := func(msg string) (context.Context, *transport.InitPayload, error) {
			ctx = transport.WithWebsocketCloseCode(ctx, CloseForbidden)
			return transport.AppendCloseReason(ctx, "Forbidden: "+msg), nil, errors.New(msg)
		}
		if key == "" {
			return forbidden(`missing API key: send {"Authorization": "Bearer sk_..."} in connection_init`)
		}
		if auth == nil {
			return forbidden("this server takes no websocket keys")
		}
		v, err := auth(ctx, key)
		if errors.Is(err, apikey.ErrInvalid) {
			return forbidden("invalid API key: it is malformed, unknown or revoked")
		}
		if err != nil {
			ctx = transport.WithWebsocketCloseCode(ctx, CloseInternal)
			return transport.AppendCloseReason(ctx, "the service cannot check API keys right now"), nil, err
		}
		observe.SetOrganization(ctx, v.OrganizationID.String())
		ctx = context.WithValue(viewer.NewContext(ctx, v), websocketKey{}, true)
		return ctx, nil, nil
	}
}

// trackedImpl closes its sockets with 1001 when shutdown is closed:
// http.Server.Shutdown does not wait for (or close) hijacked connections,
// and gqlgen closes a socket whose context ends with 1000, which clients
// read as "done, do not reconnect".
type trackedImpl struct {
	inner    transport.WebsocketImplementation
	shutdown <-chan struct{}
}

func (t trackedImpl) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := t.inner.Accept(w, r, o)
	if err != nil || t.shutdown == nil {
		return c, err
	}
	tc := &trackedConn{WebsocketConn: c, done: make(chan struct{})}
	go func() {
		select {
		case <-t.shutdown:
			_ = tc.WriteClose(CloseGoingAway, "server shutting down")
			_ = tc.WebsocketConn.Close()
		case <-tc.done:
		}
	}()
	return tc, nil
}

type trackedConn struct {
	transport.WebsocketConn
	once sync.Once
	done chan struct{}
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.WebsocketConn.Close()
}

func (c *trackedConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// sseTransport is GraphQL over Server-Sent Events in graphql-sse's
// "distinct connections" mode: a POST with Accept: text/event-stream
// answered by `next` events and a final `complete`. gqlgen's transport.SSE
// speaks the same; this one also clears the server's read and write
// deadlines (a stream outlives them), pings from the same writer it
// stops before returning, and sends why a stream ended early (too slow,
// shutdown) as a last `next` with errors.
type sseTransport struct{ ping time.Duration }

func (sseTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeRefusal(w, r, exec, http.StatusBadRequest, apperr.Invalidf("reading the request body: %v", err))
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		writeRefusal(w, r, exec, http.StatusBadRequest, apperr.Invalidf("the body must be a JSON object with query, variables, operationName"))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	end := &streamEnd{}
	ctx := context.WithValue(r.Context(), streamEndKey{}, end)

	stream := sse.Start(w, "", t.ping)
	defer stream.Close()

	next := func(resp *graphql.Response) {
		b, err := json.Marshal(resp)
		if err != nil {
			b, _ = json.Marshal(exec.DispatchError(ctx, gqlerror.List{{Message: "internal error"}}))
		}
		stream.Event("", "next", string(b))
	}
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		next(exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
	} else {
		responses, ctx := exec.DispatchOperation(ctx, oc)
		for {
			resp := responses(ctx)
			if resp == nil {
				break
			}
			next(resp)
		}
		if end.err != nil {
			next(&graphql.Response{Errors: gqlerror.List{end.err}})
		}
	}
	if r.Context().Err() == nil {
		stream.Write("event: complete\ndata:\n\n")
	}
}
