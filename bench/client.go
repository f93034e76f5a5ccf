package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// newHTTPClient returns the one client all requests share, keeping a warm
// connection for every worker.
func newHTTPClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConns = 2*concurrency + 8
	t.MaxIdleConnsPerHost = 2*concurrency + 8
	return &http.Client{Transport: t, Timeout: time.Minute}
}

// request is one API call: a REST GET, or a GraphQL POST with a JSON body.
type request struct {
	method string
	path   string
	body   []byte
}

func restGet(path string) request { return request{method: http.MethodGet, path: path} }

func graphQLPost(query string, variables map[string]any) (request, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		return request{}, fmt.Errorf("encoding GraphQL request: %w", err)
	}
	return request{method: http.MethodPost, path: "/graphql", body: body}, nil
}

// apiClient calls the server's API with the benchmark's key.
type apiClient struct {
	http    *http.Client
	baseURL string
	key     string
}

// send issues req and returns the body of a 200 answer; any other status
// is an error.
func (a *apiClient) send(ctx context.Context, req request) ([]byte, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, a.baseURL+req.path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("Authorization", "Bearer "+a.key)
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	return do(a.http, hr)
}

// graphQL runs a GraphQL request and decodes its data into out; a response
// with errors is an error.
func (a *apiClient) graphQL(ctx context.Context, query string, variables map[string]any, out any) error {
	req, err := graphQLPost(query, variables)
	if err != nil {
		return err
	}
	body, err := a.send(ctx, req)
	if err != nil {
		return err
	}
	if err := graphQLErrors(body); err != nil {
		return err
	}
	var resp struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decoding GraphQL response: %w", err)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return fmt.Errorf("decoding GraphQL data: %w", err)
	}
	return nil
}

// rest runs a REST GET and decodes its body into out.
func (a *apiClient) rest(ctx context.Context, path string, out any) error {
	body, err := a.send(ctx, restGet(path))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: decoding response: %w", path, err)
	}
	return nil
}

// graphQLErrors returns the first error of a GraphQL response, if any.
func graphQLErrors(body []byte) error {
	var resp struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decoding GraphQL response: %w", err)
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("GraphQL error: %s (%d in all)", resp.Errors[0].Message, len(resp.Errors))
	}
	return nil
}

// get fetches url without credentials and returns the body of a 200 answer.
func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return do(client, req)
}

func do(client *http.Client, req *http.Request) ([]byte, error) {
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading response: %w", req.Method, req.URL.Path, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, res.StatusCode, truncate(body, 300))
	}
	return body, nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
