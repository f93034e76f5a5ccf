// Package webhook holds what delivering a webhook needs, whatever queues
// the deliveries: signatures per the Standard Webhooks specification
// (sign.go) and an HTTP client that refuses to be turned against the
// server's own network (client.go).
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a Standard Webhooks secret; the rest is base64.
const secretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: 24 random bytes, as the
// specification recommends (at least 24, at most 64).
func NewSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrSecret is the error of a secret that is not whsec_ and base64.
var ErrSecret = errors.New("not a whsec_ signing secret")

func secretKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, ErrSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) == 0 {
		return nil, ErrSecret
	}
	return key, nil
}

// Signature returns the v1 signature of a message: HMAC-SHA256 over
// "id.timestamp.body" with the secret's key, base64-encoded.
func Signature(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, at.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Headers returns the Standard Webhooks headers of a message signed with
// every secret given: during a rotation both the new and the old secret
// sign, so a receiver that knows either verifies it.
func Headers(id string, at time.Time, body []byte, secrets ...string) (http.Header, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhook: no signing secret")
	}
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sig, err := Signature(s, id, at, body)
		if err != nil {
			return nil, err
		}
		sigs[i] = sig
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", strings.Join(sigs, " "))
	return h, nil
}
