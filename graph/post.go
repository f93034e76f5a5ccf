package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/internal/apperr"
)

// postTransport is gqlgen's POST transport (transport.POST, whose Supports
// it keeps and whose Do it follows step by step) with one difference: it
// writes the response's data as the executor produced it. gqlgen's writes
// json.Marshal(response), and encoding/json scans and copies the finished
// data (a json.RawMessage) once more to validate and compact it: a 170 KB
// dashboard page is scanned twice and held three times. The executor's
// output is compact, valid JSON already. The one difference in the bytes:
// encoding/json escapes <, > and & in strings (\u003c, ...) and this
// transport does not; both are the same JSON text.
type postTransport struct{ transport.POST }

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := postResponseType(r)
	w.Header().Add("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		gqlErr := gqlerror.Errorf("could not read request body: %+v", err)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlErr}))
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		gqlErr := gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, string(body))
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlErr}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphQLResponseType {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	if rc.Operation != nil && rc.Operation.Operation == ast.Subscription {
		// One response would wait for the first event until the deadline.
		w.WriteHeader(http.StatusBadRequest)
		err := apperr.Invalidf("a subscription needs a stream: a websocket (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream)")
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), gqlerror.List{{Message: err.Message, Err: err}}))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const graphQLResponseType = "application/graphql-response+json"

// postResponseType is the media type gqlgen's POST transport answers with
// (its determineResponseContentType with no explicit headers).
func postResponseType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphQLResponseType:
			return graphQLResponseType
		}
	}
	return graphQLResponseType
}

var responseBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeResponse writes resp as json.Marshal would, with its data as it is.
// Errors and extensions (small) still go through encoding/json.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil { // incremental delivery: never over POST
		b, _ := json.Marshal(resp)
		_, _ = w.Write(b)
		return
	}
	buf := responseBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // do not keep the buffer of a huge answer
			buf.Reset()
			responseBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	buf.WriteByte('{')
	if len(resp.Errors) > 0 {
		buf.WriteString(`"errors":`)
		_ = enc.Encode(resp.Errors)
		trimNewline(buf)
		buf.WriteByte(',')
	}
	buf.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		buf.WriteString("null")
	} else {
		buf.Write(resp.Data)
	}
	if len(resp.Extensions) > 0 {
		buf.WriteString(`,"extensions":`)
		_ = enc.Encode(resp.Extensions)
		trimNewline(buf)
	}
	buf.WriteByte('}')
	_, _ = w.Write(buf.Bytes())
}

// trimNewline drops the newline json.Encoder ends each value with.
func trimNewline(buf *bytes.Buffer) { buf.Truncate(buf.Len() - 1) }
