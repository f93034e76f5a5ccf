package rest

// The webhook endpoints: /webhooks and below. Writes run the GraphQL
// mutations of graph/webhooks.graphqls, like every read runs a query.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/webhook"
)

// webhookEndpointBody is the body of POST and PATCH /webhooks: absent
// fields are left as they are (on POST: defaults).
type webhookEndpointBody struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"event_types"`
	Enabled     *bool     `json:"enabled"`
}

func (b webhookEndpointBody) input() map[string]any {
	in := map[string]any{}
	if b.URL != nil {
		in["url"] = *b.URL
	}
	if b.Description != nil {
		in["description"] = *b.Description
	}
	if b.EventTypes != nil {
		in["eventTypes"] = *b.EventTypes
	}
	if b.Enabled != nil {
		in["enabled"] = *b.Enabled
	}
	return in
}

func (h *Handler) listWebhookEndpoints(w http.ResponseWriter, r *http.Request) {
	var out objectConnection
	if err := h.execute(r.Context(), listWebhookEndpoints, map[string]any{"first": webhook.MaxEndpoints}, &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, struct {
		Data []json.RawMessage `json:"data"`
	}{out.Object.nodes()}, nil)
}

func (h *Handler) getWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getWebhookEndpoint, "webhook endpoint", nil)
}

func (h *Handler) createWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	var body webhookEndpointBody
	if err := decodeBody(r, &body, true); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	if body.URL == nil {
		h.respond(w, r, nil, apperr.Invalidf("url: required"))
		return
	}
	h.withSecret(w, r, http.StatusCreated, createWebhookEndpoint, map[string]any{"input": body.input()})
}

func (h *Handler) updateWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var body webhookEndpointBody
	if err := decodeBody(r, &body, true); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.mutateObject(w, r, http.StatusOK, updateWebhookEndpoint, map[string]any{"id": id.String(), "input": body.input()})
}

func (h *Handler) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.mutateObject(w, r, http.StatusOK, deleteWebhookEndpoint, map[string]any{"id": id.String()})
}

func (h *Handler) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var body struct {
		OverlapSeconds *int `json:"overlap_seconds"`
	}
	if err := decodeBody(r, &body, false); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	vars := map[string]any{"id": id.String()}
	if body.OverlapSeconds != nil {
		vars["overlap"] = *body.OverlapSeconds
	}
	h.withSecret(w, r, http.StatusOK, rotateWebhookSecret, vars)
}

func (h *Handler) sendTestWebhook(w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(r, &struct{}{}, false); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var out objectResult
	if err := h.execute(r.Context(), sendTestWebhook, nil, &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, objectBody{Data: out.Object}, nil)
}

func (h *Handler) redeliverWebhookEvent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var body struct {
		EventID *string `json:"event_id"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	if body.EventID == nil {
		h.respond(w, r, nil, apperr.Invalidf("event_id: required"))
		return
	}
	event, err := parseUUID(*body.EventID)
	if err != nil {
		h.respond(w, r, nil, apperr.Invalidf("event_id: %s is not a UUID", apperr.Echo(*body.EventID)))
		return
	}
	h.mutateObject(w, r, http.StatusAccepted, redeliverWebhookEvent, map[string]any{"id": id.String(), "event": event.String()})
}

func (h *Handler) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	p, err := parsePage(r.URL.Query(), "WebhookDelivery", "ATTEMPTED_AT")
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	vars := p.vars()
	vars["id"] = id.String()
	var out objectConnection
	err = missing(h.execute(r.Context(), listWebhookDeliveries, vars, &out), out.Object == nil, "webhook endpoint", id)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, out.Object.body(p), nil)
}

// mutateObject runs a mutation and answers its result with status. Its
// errors are answered as they are: a webhook mutation's not-found names
// what is missing (the endpoint, or a redelivery's event) with its ID.
func (h *Handler) mutateObject(w http.ResponseWriter, r *http.Request, status int, mutation string, vars map[string]any) {
	var out objectResult
	if err := h.execute(r.Context(), mutation, vars, &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	writeJSON(w, status, objectBody{Data: out.Object})
}

// withSecret answers the endpoint a mutation returned with its secret, the
// one answer that carries it.
func (h *Handler) withSecret(w http.ResponseWriter, r *http.Request, status int, mutation string, vars map[string]any) {
	var out struct {
		Object struct {
			Secret   string          `json:"secret"`
			Endpoint json.RawMessage `json:"endpoint"`
		} `json:"object"`
	}
	if err := h.execute(r.Context(), mutation, vars, &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	secret, _ := json.Marshal(out.Object.Secret) // a string always marshals
	obj := out.Object.Endpoint
	data := append(append(append(obj[:len(obj)-1:len(obj)-1], `,"secret":`...), secret...), '}')
	writeJSON(w, status, objectBody{Data: data})
}

// decodeBody reads a request's JSON object into dst, refusing unknown
// fields (a misspelt field must not be silently ignored). An empty body
// is an empty object unless required.
func decodeBody(r *http.Request, dst any, required bool) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if errors.Is(err, io.EOF) && !required {
		return nil
	}
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return apperr.Invalidf("body: a JSON object is required")
	case errors.As(err, &maxErr):
		return apperr.New(apperr.PayloadTooLarge, "body: larger than %d bytes", maxErr.Limit)
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return apperr.Invalidf("body: %s must be %s", typeErr.Field, jsonType(typeErr.Type.String()))
	}
	return apperr.Invalidf("body: not a JSON object of this endpoint's fields: %s", apperr.Echo(err.Error()))
}

func jsonType(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int":
		return "an integer"
	case "[]string":
		return "an array of strings"
	}
	return fmt.Sprintf("a %s", goType)
}
