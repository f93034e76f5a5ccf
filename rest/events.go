package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/viewer"
)

// Option configures the REST handler.
type Option func(*Handler)

// WithEvents serves GET /conversations/{id}/events from b, replaying
// missed events from client's outbox; without it that route is a 404.
func WithEvents(b *live.Broker, client *ent.Client) Option {
	return func(h *Handler) { h.live, h.client = b, client }
}

// replayLimit bounds a Last-Event-ID replay; a longer gap is a 400 that
// says to read the conversation instead.
const replayLimit = 1000

// eventsPing keeps an idle stream open through proxies.
const eventsPing = sse.DefaultPing

// streamConversationEvents serves a conversation's changes as Server-Sent
// Events: `conversation.messages_appended` with the appended messages and
// the status events with the conversation, each with `id:` its event ID.
// A Last-Event-ID header replays what followed that event (from the
// outbox) before going live. Each event's body is read by the same fixed
// operations as the other endpoints, under the caller's key.
func (h *Handler) streamConversationEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var after uuid.UUID
	if raw := r.Header.Get("Last-Event-ID"); raw != "" {
		if after, err = parseUUID(raw); err != nil {
			h.respond(w, r, nil, apperr.Invalidf("Last-Event-ID: %s is not an event ID", apperr.Echo(raw)))
			return
		}
	}
	v, _ := viewer.FromContext(r.Context())
	if h.live == nil {
		h.respond(w, r, nil, apperr.NotFoundf("no route %s %s", r.Method, r.URL.Path))
		return
	}
	// Subscribe before reading anything, so nothing falls in between.
	sub, err := h.live.Subscribe(v, func(ev live.Event) bool { return ev.ConversationID == id })
	switch {
	case errors.Is(err, live.ErrTooMany):
		err = apperr.New(apperr.RateLimited, "this API key has %d open streams, the most allowed; close one first", h.live.MaxPerKey())
	case errors.Is(err, live.ErrShutdown):
		err = apperr.New(apperr.Unavailable, "%s", err)
	}
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	defer sub.Close()
	if _, err := h.render(r.Context(), id, live.Event{Type: conversations.EventCreated}); err != nil {
		h.respond(w, r, nil, err) // 404 for a conversation the key cannot see
		return
	}
	var replay []live.Event
	if after != (uuid.UUID{}) {
		if replay, err = live.Replay(r.Context(), h.client, id, after, replayLimit+1); err != nil {
			h.respond(w, r, nil, err)
			return
		}
		if len(replay) > replayLimit {
			h.respond(w, r, nil, apperr.Invalidf("more than %d events followed %s: read the conversation and its messages, then stream without Last-Event-ID", replayLimit, after))
			return
		}
	} else if after, err = live.Newest(r.Context(), h.client, event.ConversationID(id)); err != nil {
		// No history asked for: the stream starts after what is already
		// written, however late its notifications arrive.
		h.respond(w, r, nil, err)
		return
	}

	stream := sse.Start(w, " streaming the events of conversation "+id.String(), eventsPing)
	defer stream.Close()

	last := after
	send := func(ev live.Event) bool {
		if gid.Compare(ev.ID, last) <= 0 { // replayed already
			return true
		}
		data, err := h.render(r.Context(), id, ev)
		if err != nil {
			if r.Context().Err() == nil {
				h.logger.ErrorContext(r.Context(), "rendering a conversation event", "error", err, "event_id", ev.ID)
				stream.Write(errorEvent(apperr.New(apperr.Internal, "internal error")))
			}
			return false
		}
		last = ev.ID
		stream.Event(ev.ID.String(), ev.Type, string(data))
		return true
	}
	for _, ev := range replay {
		if !send(ev) {
			return
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-sub.Events():
			if !ok {
				if err := sub.Err(); err != nil {
					stream.Write(errorEvent(apperr.New(apperr.Unavailable, "%s", err)))
				}
				return
			}
			if !send(ev) {
				return
			}
		}
	}
}

// errorEvent is the REST error envelope as a stream's last event.
func errorEvent(e *apperr.Error) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": e.Code, "message": e.Message}})
	return "event: error\ndata: " + string(b) + "\n\n"
}

// render is an event's data: {"data": {"conversation_id", "messages"}} for
// an append (the appended messages, by position), else {"data":
// Conversation} as the conversation is now.
func (h *Handler) render(ctx context.Context, id uuid.UUID, ev live.Event) (json.RawMessage, error) {
	if ev.Type == conversations.EventMessagesAppended {
		// Pages of 100 (the most a connection serves) by position.
		var msgs []json.RawMessage
		for from := ev.MessageCount - ev.Appended; from < ev.MessageCount; from += 100 {
			var out objectConnection
			vars := map[string]any{"id": id.String(), "from": from, "to": min(from+100, ev.MessageCount)}
			if err := missing(h.execute(ctx, eventMessages, vars, &out), out.Object == nil, "conversation", id); err != nil {
				return nil, err
			}
			msgs = append(msgs, out.Object.nodes()...)
		}
		return json.Marshal(map[string]any{"data": map[string]any{"conversation_id": id, "messages": msgs}})
	}
	var out objectResult
	if err := missing(h.execute(ctx, getConversation, map[string]any{"id": id.String()}, &out), isNull(out.Object), "conversation", id); err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"data": out.Object})
}
