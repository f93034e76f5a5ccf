package graph_test

import (
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/testenv"
)

const (
	whCreate = `mutation($url: String!) { createWebhookEndpoint(input: {url: $url, eventTypes: ["conversation.started"]}) { secret endpoint { id url eventTypes enabled } } }`
	whList   = `{ viewer { webhookEndpoints(first: 10) { totalCount edges { node { id url deliveries(first: 5) { totalCount } } } } } }`
	whNode   = `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { id url } } }`
	whGet    = `query($id: ID!) { webhookEndpoint(id: $id) { id } }`
	whUpdate = `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: false}) { id enabled } }`
	whRotate = `mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 60) { secret endpoint { id previousSecretExpiresAt } } }`
	whDelete = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedID } }`
)

// Webhook endpoints are a connection on viewer and Nodes, with mutations
// for every write; a key reaches only its own organization's and mode's,
// and the secret shows only in the answers that create it.
func TestWebhookEndpointsInGraphQL(t *testing.T) {
	env := apitest.Start(t)
	acme := env.Key(t, "Acme", false)
	acmeLive := env.Key(t, "Acme", true)
	globex := env.Key(t, "Globex", false)

	created := env.MustGraphQL(t, acme, whCreate, map[string]any{"url": "https://example.com/hooks"})
	id := testenv.Get(created, "createWebhookEndpoint", "endpoint", "id").(string)
	secret := testenv.Get(created, "createWebhookEndpoint", "secret").(string)
	if len(secret) < 10 || testenv.Get(created, "createWebhookEndpoint", "endpoint", "enabled") != true {
		t.Fatalf("created %v", created)
	}
	list := env.MustGraphQL(t, acme, whList, nil)
	if testenv.Get(list, "viewer", "webhookEndpoints", "totalCount") != float64(1) {
		t.Errorf("Acme's list: %v", list)
	}
	if testenv.Get(env.MustGraphQL(t, acme, whNode, map[string]any{"id": id}), "node", "url") != "https://example.com/hooks" {
		t.Errorf("node(id) does not find the endpoint")
	}
	for name, key := range map[string]string{"Globex": globex, "Acme live": acmeLive} {
		if n := testenv.Get(env.MustGraphQL(t, key, whList, nil), "viewer", "webhookEndpoints", "totalCount"); n != float64(0) {
			t.Errorf("%s lists %v of Acme's test endpoints", name, n)
		}
		for _, q := range []string{whGet, whNode, whUpdate, whRotate, whDelete} {
			res := env.GraphQL(t, key, q, map[string]any{"id": id})
			if len(res.Errors) != 1 || res.Errors[0].Code() != "not_found" {
				t.Errorf("%s: %s: %+v, want one not_found error", name, q, res.Errors)
			}
		}
	}
	res := env.GraphQL(t, acme, whCreate, map[string]any{"url": "http://169.254.169.254/latest/meta-data"})
	if len(res.Errors) != 1 || res.Errors[0].Code() != "invalid_request" {
		t.Errorf("a metadata address: %+v, want invalid_request", res.Errors)
	}
	rotated := env.MustGraphQL(t, acme, whRotate, map[string]any{"id": id})
	if s := testenv.Get(rotated, "rotateWebhookSecret", "secret"); s == secret || s == "" ||
		testenv.Get(rotated, "rotateWebhookSecret", "endpoint", "previousSecretExpiresAt") == nil {
		t.Errorf("rotated: %v", rotated)
	}
	res = env.GraphQL(t, acme, `mutation { sendTestWebhook { success } }`, nil)
	if len(res.Errors) != 1 || res.Errors[0].Code() != "unavailable" {
		t.Errorf("sendTestWebhook without a delivery service: %+v, want unavailable", res.Errors)
	}
	if testenv.Get(env.MustGraphQL(t, acme, whDelete, map[string]any{"id": id}), "deleteWebhookEndpoint", "deletedID") != id {
		t.Errorf("delete did not answer the id")
	}
	if n := testenv.Get(env.MustGraphQL(t, acme, whList, nil), "viewer", "webhookEndpoints", "totalCount"); n != float64(0) {
		t.Errorf("after delete the list has %v", n)
	}
}
