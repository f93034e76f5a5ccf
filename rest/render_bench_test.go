package rest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// A realistic conversation list item, as the GraphQL executor returns it.
const sampleNode = `{"id":"01a211a9-af19-858c-9ec9-db0d44d62a%02d","connection_code":"JUNIPER-3130","agent_id":"01a211a9-af17-8372-b8c3-2570952979ce","status":"abandoned","started_at":"2026-11-25T02:09:00.932136Z","completed_at":"2026-11-25T02:11:05.932136Z","turn_count":4,"participant_profile":{"id":"01a211a9-af17-8493-b94a-153182eedd3b","email":"sophie.johnson.15@starklogistics.com","first_name":"Sophie","last_name":"Johnson","organization_name":"Stark Logistics","organization_domain":"starklogistics.com","avatar_image_url":"https://avatars.example.com/starklogistics.com/15.png"}}`

func sampleConnection(n int) []byte {
	edges := make([]string, n)
	for i := range edges {
		edges[i] = `{"node":` + fmt.Sprintf(sampleNode, i) + `}`
	}
	return []byte(`{"page":{"edges":[` + strings.Join(edges, ",") + `],"pageInfo":{"hasNextPage":true,"hasPreviousPage":false,"startCursor":"gqFpxBABohGprxmFjJ7J2w1E1ir8oXbX/0mTwSBrBPsz","endCursor":"gqFpxBABohGprxmFjJ7J2w1E1ir8oXbX/0mTwSBrBPsz"}}}`)
}

// BenchmarkRenderList measures turning a GraphQL result into the REST list
// answer: decoding the connection and writing the body.
func BenchmarkRenderList(b *testing.B) {
	for _, n := range []int{20, 100} {
		data := sampleConnection(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var c connection
				if err := json.Unmarshal(data, &c); err != nil {
					b.Fatal(err)
				}
				w := httptest.NewRecorder()
				w.Body = nil
				writeJSON(discardWriter{w}, 200, c.body(page{limit: n}))
			}
		})
	}
}

type discardWriter struct{ *httptest.ResponseRecorder }

func (d discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }
