// Package apperr defines the errors Parley reports to API callers. Each has a
// code shared by GraphQL (extensions.code) and REST (the error envelope) and a
// message a person can act on. Anything else is internal and is never shown.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Code is a machine-readable error class, as documented in the API contract.
type Code string

// Codes, with the HTTP status each maps to in REST.
const (
	InvalidRequest   Code = "invalid_request"    // 400
	Unauthorized     Code = "unauthorized"       // 401
	NotFound         Code = "not_found"          // 404
	MethodNotAllowed Code = "method_not_allowed" // 405
	Conflict         Code = "conflict"           // 409: a concurrent change won; retrying may succeed
	PayloadTooLarge  Code = "payload_too_large"  // 413
	BudgetExceeded   Code = "budget_exceeded"    // 422: the request would cost more than one request may
	RateLimited      Code = "rate_limited"       // 429
	Internal         Code = "internal_error"     // 500
	Unavailable      Code = "unavailable"        // 503
	Timeout          Code = "timeout"            // 504: the request ran out of time
)

// Error is a caller-facing error.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// New returns an error with the given code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf is an invalid_request error.
func Invalidf(format string, args ...any) *Error { return New(InvalidRequest, format, args...) }

// NotFoundf is a not_found error.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// As returns the caller-facing error wrapped in err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// OutOfTime returns the timeout error for err when err comes from ctx
// ending: the request's deadline passed, or its client went away (then no
// one reads the answer). Database drivers report either as an error that
// wraps the context's; whatever else failed once ctx ended is put down to
// it too.
func OutOfTime(ctx context.Context, err error) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return nil, false
	}
	return New(Timeout, "the request did not finish within the server's time limit and was stopped; retry, or ask for less at once"), true
}

// HTTPStatus is the HTTP status a REST response carries for the code.
func (c Code) HTTPStatus() int {
	switch c {
	case InvalidRequest:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case NotFound:
		return http.StatusNotFound
	case MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case Conflict:
		return http.StatusConflict
	case BudgetExceeded:
		return http.StatusUnprocessableEntity
	case PayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case RateLimited:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	case Timeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// ValidatorReason is what an ent field validator's error says is wrong.
func ValidatorReason(err error) string {
	if reason, ok := entValidatorReasons[err.Error()]; ok {
		return reason
	}
	return err.Error() // Parley's validators (ent/schema/validate.go) say what is wrong
}

// entValidatorReasons rewords the errors of ent's built-in validators
// (NotEmpty, MaxLen, NonNegative, ...), which speak of "value" and
// "required length".
var entValidatorReasons = map[string]string{
	"value is less than the required length":         "is too short",
	"value is less than the required rune length":    "is too short",
	"value is greater than the required length":      "is too long",
	"value is greater than the required rune length": "is too long",
	"value out of range":                             "is out of range",
	"value does not match validation":                "is not valid",
}

// maxEcho bounds how much of a caller's input an error message repeats.
const maxEcho = 64

// Echo is s as an error message repeats it: quoted, and cut after 64 bytes
// (at a character boundary), so an answer never grows with the input.
func Echo(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}
