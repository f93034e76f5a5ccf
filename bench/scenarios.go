package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// scenario is a named load: requests taken round-robin from requests.
type scenario struct {
	name     string
	graphQL  bool // responses must also carry no GraphQL errors
	requests []request
}

// scenarioNames lists the scenarios in the order they run.
var scenarioNames = []string{
	"rest-list-first",
	"rest-list-page-1000",
	"rest-transcript",
	"graphql-dashboard",
	"graphql-dashboard-messages",
	"graphql-node",
}

func parseScenarios(list string) ([]string, error) {
	if strings.TrimSpace(list) == "all" {
		return scenarioNames, nil
	}
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(names, name) {
			continue
		}
		if !slices.Contains(scenarioNames, name) {
			return nil, fmt.Errorf("unknown scenario %q; choose from %s", name, strings.Join(scenarioNames, ", "))
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, errors.New("--scenarios names no scenario")
	}
	return names, nil
}

const (
	// The dashboard scenarios read a page of 50 conversations with their
	// agent, participant and whole transcript, or their first five messages
	// instead; graphql-node reads one conversation by ID.
	dashboardQuery         = `{ conversations(first: 50) { edges { node { id status turnCount startedAt agent { id name } participant { id email firstName lastName } transcript { id role content createdAt modality } } } } }`
	dashboardMessagesQuery = `{ conversations(first: 50) { edges { node { id status turnCount startedAt agent { id name } participant { id email firstName lastName } messages(first: 5) { edges { node { id role content } } } } } } }`
	nodeQuery              = `query($id: ID!) { node(id: $id) { id ... on Conversation { status turnCount agent { name } } } }`
)

// buildScenarios prepares the named scenarios, fetching the inputs they
// need from the running server.
func buildScenarios(ctx context.Context, fx *fixtures, names []string) ([]scenario, error) {
	scenarios := make([]scenario, 0, len(names))
	for _, name := range names {
		sc, err := buildScenario(ctx, fx, name)
		if err != nil {
			return nil, fmt.Errorf("preparing scenario %s: %w", name, err)
		}
		scenarios = append(scenarios, sc)
	}
	return scenarios, nil
}

func buildScenario(ctx context.Context, fx *fixtures, name string) (scenario, error) {
	sc := scenario{name: name, graphQL: strings.HasPrefix(name, "graphql-")}
	switch name {
	case "rest-list-first":
		sc.requests = []request{restGet("/v1/backend/conversations?limit=20")}
	case "rest-list-page-1000":
		cursor, err := fx.deepCursor(ctx)
		if err != nil {
			return sc, err
		}
		sc.requests = []request{restGet("/v1/backend/conversations?limit=20&after=" + url.QueryEscape(cursor))}
	case "rest-transcript":
		ids, err := fx.sampleIDs(ctx)
		if err != nil {
			return sc, err
		}
		for _, id := range ids {
			sc.requests = append(sc.requests, restGet("/v1/backend/conversations/"+id+"/transcript"))
		}
	case "graphql-dashboard", "graphql-dashboard-messages":
		query := dashboardQuery
		if name == "graphql-dashboard-messages" {
			query = dashboardMessagesQuery
		}
		req, err := graphQLPost(query, nil)
		if err != nil {
			return sc, err
		}
		sc.requests = []request{req}
	case "graphql-node":
		ids, err := fx.sampleIDs(ctx)
		if err != nil {
			return sc, err
		}
		for _, id := range ids {
			req, err := graphQLPost(nodeQuery, map[string]any{"id": id})
			if err != nil {
				return sc, err
			}
			sc.requests = append(sc.requests, req)
		}
	default:
		return sc, fmt.Errorf("unknown scenario %q", name)
	}
	return sc, nil
}

const (
	sampleSize = 1000
	// deepPage is the REST page (of pageSize items, 1-based) that
	// rest-list-page-1000 reads.
	deepPage = 1000
	pageSize = 20
)

// fixtures are the scenario inputs read from the server, each fetched once.
type fixtures struct {
	api           *apiClient
	conversations int
	ids           []string
	notes         []string // caveats for the report
}

// restList is the part of a REST conversation list the benchmark reads.
type restList struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	Pagination struct {
		NextCursor *string `json:"next_cursor"`
	} `json:"pagination"`
}

// sampleIDs returns up to sampleSize conversation IDs, the newest first,
// read from REST list pages.
func (f *fixtures) sampleIDs(ctx context.Context) ([]string, error) {
	if f.ids != nil {
		return f.ids, nil
	}
	var ids []string
	path := "/v1/backend/conversations?limit=100"
	for len(ids) < sampleSize {
		var page restList
		if err := f.api.rest(ctx, path, &page); err != nil {
			return nil, err
		}
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		if page.Pagination.NextCursor == nil {
			break
		}
		path = "/v1/backend/conversations?limit=100&after=" + url.QueryEscape(*page.Pagination.NextCursor)
	}
	if len(ids) == 0 {
		return nil, errors.New("the REST list returned no conversations")
	}
	f.ids = ids[:min(len(ids), sampleSize)]
	slog.Info("sampled conversation IDs", "count", len(f.ids))
	return f.ids, nil
}

// walkPage is one page of the GraphQL cursor walk.
type walkPage struct {
	Conversations struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID string `json:"id"`
			} `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"conversations"`
}

const walkQuery = `query($after: Cursor) { conversations(first: 100, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`

// deepCursor returns the cursor after which REST page deepPage starts: the
// cursor of its item deepPage*pageSize-pageSize (1-based), found by walking
// the GraphQL connection in pages of 100, whose default order is the REST
// list's. It checks that the REST page read with that cursor starts at the
// next conversation of the walk. With too few conversations for page 1000
// it uses the last full page and notes so.
func (f *fixtures) deepCursor(ctx context.Context) (string, error) {
	page := min(deepPage, f.conversations/pageSize)
	if page < 2 {
		return "", fmt.Errorf("needs at least %d conversations, has %d", 2*pageSize, f.conversations)
	}
	if page != deepPage {
		f.notes = append(f.notes, fmt.Sprintf("rest-list-page-1000 read page %d: %d conversations are too few for page %d.", page, f.conversations, deepPage))
	}
	skip := (page - 1) * pageSize // items before the page
	var cursors, ids []string
	vars := map[string]any{}
	for len(ids) <= skip {
		var p walkPage
		if err := f.api.graphQL(ctx, walkQuery, vars, &p); err != nil {
			return "", err
		}
		for _, e := range p.Conversations.Edges {
			cursors = append(cursors, e.Cursor)
			ids = append(ids, e.Node.ID)
		}
		if !p.Conversations.PageInfo.HasNextPage {
			break
		}
		vars["after"] = p.Conversations.PageInfo.EndCursor
	}
	if len(ids) <= skip {
		return "", fmt.Errorf("the GraphQL walk ended after %d conversations, before item %d", len(ids), skip+1)
	}
	cursor, want := cursors[skip-1], ids[skip]
	var check restList
	if err := f.api.rest(ctx, "/v1/backend/conversations?limit=20&after="+url.QueryEscape(cursor), &check); err != nil {
		return "", err
	}
	if len(check.Data) == 0 || check.Data[0].ID != want {
		return "", fmt.Errorf("the REST page after the GraphQL cursor of item %d does not start at conversation %s", skip, want)
	}
	slog.Info("found the deep page cursor", "page", page, "after_item", skip, "graphql_requests", (len(ids)+99)/100)
	return cursor, nil
}
