package rest

import "github.com/gorilla/mux"

// Routes returns "METHOD path-template" for every route h serves, for the
// test that compares them with the OpenAPI document. The event stream is
// left out: the document describes the JSON endpoints, and its tests call
// each one expecting an answer that ends (the stream is in the README).
func Routes(h *Handler) ([]string, error) {
	var out []string
	err := h.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			return err
		}
		if path == Prefix+"/conversations/{id}/events" {
			return nil
		}
		for _, m := range methods {
			out = append(out, m+" "+path)
		}
		return nil
	})
	return out, err
}
