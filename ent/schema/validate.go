package schema

import (
	"fmt"
	"net/mail"
	"net/url"
)

// Modes an agent and a message may use.
var modes = map[string]bool{"voice": true, "text": true}

func validMode(m string) error {
	if !modes[m] {
		return fmt.Errorf("mode %q is not one of voice, text", m)
	}
	return nil
}

func validModes(ms []string) error {
	seen := map[string]bool{}
	for _, m := range ms {
		if err := validMode(m); err != nil {
			return err
		}
		if seen[m] {
			return fmt.Errorf("mode %q is listed twice", m)
		}
		seen[m] = true
	}
	return nil
}

func validEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
