package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ClientOptions configure the delivery client.
type ClientOptions struct {
	// AllowPrivate lets deliveries reach loopback, private, link-local and
	// other internal addresses: for local development and tests only
	// (--webhook-allow-private).
	AllowPrivate bool
	// Timeout bounds one attempt, connection to last byte read.
	Timeout time.Duration
	// MaxResponseBytes bounds how much of a receiver's answer is read.
	MaxResponseBytes int64
}

// DefaultClientOptions: ten seconds an attempt, 64 KiB of any answer.
var DefaultClientOptions = ClientOptions{Timeout: 10 * time.Second, MaxResponseBytes: 64 << 10}

// ErrForbiddenAddress is the error of a destination on an internal
// network: a webhook must not let a tenant probe the server's own network
// or a cloud metadata service.
var ErrForbiddenAddress = errors.New("the address is on a loopback, private, link-local or otherwise internal network")

// NewClient returns an HTTP client for deliveries. It checks the address
// it actually connects to, after DNS resolution, so a name that resolves
// (or later re-resolves) to an internal address is refused too; it never
// follows a redirect (the 3xx is the attempt's answer); and it bounds each
// attempt in time.
func NewClient(opts ClientOptions) *http.Client {
	dialer := &net.Dialer{Timeout: opts.Timeout}
	if !opts.AllowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: %s: %w", address, err)
			}
			if Forbidden(ap.Addr()) {
				return fmt.Errorf("webhook: %s: %w", address, ErrForbiddenAddress)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil, // deliveries go straight to the receiver
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Forbidden reports whether a is an address deliveries must not reach
// unless private addresses are allowed.
func Forbidden(a netip.Addr) bool {
	a = a.Unmap()
	return !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() ||
		a.IsUnspecified() || sharedAddressSpace.Contains(a) || a == metadataV6
}

var (
	// 100.64.0.0/10, carrier-grade NAT: internal to the provider.
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
	// The IPv6 instance metadata address of some clouds (a unique local
	// address, so IsPrivate covers it too; named for clarity).
	metadataV6 = netip.MustParseAddr("fd00:ec2::254")
)

// CheckURL refuses what can never be a receiver: another scheme than
// http(s), no host, credentials in the URL, and, unless private addresses
// are allowed, a host that is an internal address literal or localhost.
// Names are checked again when a delivery connects (NewClient).
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("url: not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("url: must be an http or https URL")
	case u.Hostname() == "":
		return errors.New("url: has no host")
	case u.User != nil:
		return errors.New("url: must not carry credentials")
	case len(raw) > 2048:
		return errors.New("url: longer than 2048 characters")
	}
	if allowPrivate {
		return nil
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && Forbidden(a) || u.Hostname() == "localhost" {
		return fmt.Errorf("url: %w", ErrForbiddenAddress)
	}
	return nil
}

// Result is what one delivery attempt got back.
type Result struct {
	Status  int // 0 when no answer came
	Latency time.Duration
	// Body is the start of the answer, for the delivery log.
	Body []byte
}

// Deliver posts one signed message and reads at most MaxResponseBytes of
// the answer.
func Deliver(ctx context.Context, client *http.Client, opts ClientOptions, url string, header http.Header, body []byte) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("webhook: %w", err)
	}
	req.Header = header.Clone()
	req.Header.Set("User-Agent", "Parley-Webhooks/1")
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start)}, err
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, opts.MaxResponseBytes))
	return Result{Status: res.StatusCode, Latency: time.Since(start), Body: answer}, nil
}
