package query

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every *Error: an expression that does not parse or names what
// does not exist.
var ErrInvalid = errors.New("invalid query")

// Error is a mistake in an expression, at a place in it.
type Error struct {
	// Expr is the whole expression.
	Expr string
	// Offset is the byte offset in Expr where the mistake is; Column is the same place
	// counted in characters from 1.
	Offset int
	Column int
	// Msg says what is wrong there and, where it can, what would be right.
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Column, e.Msg) }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Pointer returns the expression on one line and a caret under the column of the
// mistake on the next: what a terminal shows under the message.
func (e *Error) Pointer() string {
	return e.Expr + "\n" + strings.Repeat(" ", e.Column-1) + "^"
}

// errorAt returns an *Error at byte offset off of expr.
func errorAt(expr string, off int, format string, args ...any) *Error {
	off = min(max(off, 0), len(expr))
	return &Error{Expr: expr, Offset: off, Column: utf8.RuneCountInString(expr[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}
