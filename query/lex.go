package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind is the kind of a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp // = == != <> < <= > >=
	tokLParen
	tokRParen
	tokComma
	tokPercent
	tokPlusMinus // ± or +-
	tokMinus     // a - not part of a number: -column in an order
)

// token is one token and where it starts (byte offset).
type token struct {
	kind tokenKind
	text string // the identifier, the string's value, the number's or operator's text
	off  int
	end  int  // byte offset just past the token
	kw   bool // an identifier written bare (not `quoted`): it may be a keyword
}

// keyword returns the token's keyword in lower case ("and", "near", …), or "" when it is
// not one.
func (t token) keyword() string {
	if t.kind != tokIdent || !t.kw {
		return ""
	}
	switch k := strings.ToLower(t.text); k {
	case "and", "or", "not", "in", "near", "within", "is", "null", "like", "ilike", "asc", "desc":
		return k
	}
	return ""
}

// lex splits expr into tokens, ending with tokEOF.
func lex(expr string) ([]token, *Error) {
	var toks []token
	i := 0
	for {
		for i < len(expr) {
			r, n := utf8.DecodeRuneInString(expr[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if i == len(expr) {
			return append(toks, token{kind: tokEOF, off: i, end: i}), nil
		}
		start := i
		r, n := utf8.DecodeRuneInString(expr[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return nil, errorAt(expr, i, "the expression is not valid UTF-8")
		case r == '\'' || r == '"':
			s, end, err := lexString(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: s, off: start, end: end})
			i = end
		case r == '`':
			end := strings.IndexByte(expr[i+1:], '`')
			if end < 0 {
				return nil, errorAt(expr, i, "this `quoted` name is not closed: add a ` after it")
			}
			name := expr[i+1 : i+1+end]
			if name == "" {
				return nil, errorAt(expr, i, "empty `` name")
			}
			i += end + 2
			toks = append(toks, token{kind: tokIdent, text: name, off: start, end: i})
		case r == '+' && strings.HasPrefix(expr[i:], "+-"):
			i += 2
			toks = append(toks, token{kind: tokPlusMinus, text: "+-", off: start, end: i})
		case r == '±':
			i += n
			toks = append(toks, token{kind: tokPlusMinus, text: "±", off: start, end: i})
		case isDigit(r) || r == '.' || (r == '-' || r == '+') && i+1 < len(expr) && (isDigit(rune(expr[i+1])) || expr[i+1] == '.'):
			end := lexNumber(expr, i)
			toks = append(toks, token{kind: tokNumber, text: expr[i:end], off: start, end: end})
			i = end
		case r == '_' || unicode.IsLetter(r):
			for i < len(expr) {
				r, n := utf8.DecodeRuneInString(expr[i:])
				if r != '_' && r != '.' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				i += n
			}
			toks = append(toks, token{kind: tokIdent, text: expr[start:i], off: start, end: i, kw: true})
		default:
			op := ""
			for _, o := range []string{"<=", ">=", "!=", "<>", "==", "=", "<", ">"} {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			switch {
			case op != "":
				i += len(op)
				toks = append(toks, token{kind: tokOp, text: op, off: start, end: i})
			case r == '(':
				i++
				toks = append(toks, token{kind: tokLParen, text: "(", off: start, end: i})
			case r == ')':
				i++
				toks = append(toks, token{kind: tokRParen, text: ")", off: start, end: i})
			case r == ',':
				i++
				toks = append(toks, token{kind: tokComma, text: ",", off: start, end: i})
			case r == '%':
				i++
				toks = append(toks, token{kind: tokPercent, text: "%", off: start, end: i})
			case r == '-':
				i++
				toks = append(toks, token{kind: tokMinus, text: "-", off: start, end: i})
			case r == '&' || r == '|':
				return nil, errorAt(expr, i, "%q is not an operator here: join comparisons with the word and", string(r))
			default:
				return nil, errorAt(expr, i, "unexpected character %q", string(r))
			}
		}
	}
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// lexNumber returns the end of the number that starts at i: an optional sign, digits
// with an optional fraction, and an optional exponent. Letters or digits run on after it
// are taken too, so that the parser reports "1.0x" as one malformed number.
func lexNumber(expr string, i int) int {
	if expr[i] == '-' || expr[i] == '+' {
		i++
	}
	for i < len(expr) {
		c := expr[i]
		switch {
		case isDigit(rune(c)) || c == '.' || c == '_':
		case (c == 'e' || c == 'E') && i+1 < len(expr):
			if expr[i+1] == '-' || expr[i+1] == '+' {
				i++
			}
		case c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
		default:
			return i
		}
		i++
	}
	return i
}

// lexString reads the quoted string that starts at i: single or double quotes, with \\,
// \' and \" escapes and the quote doubled ('it”s').
func lexString(expr string, i int) (string, int, *Error) {
	q := expr[i]
	var b strings.Builder
	j := i + 1
	for j < len(expr) {
		c := expr[j]
		switch {
		case c == '\\' && j+1 < len(expr):
			switch e := expr[j+1]; e {
			case '\\', '\'', '"':
				b.WriteByte(e)
				j += 2
				continue
			default:
				return "", 0, errorAt(expr, j, `unknown escape \%c: only \\, \' and \" are escapes`, e)
			}
		case c == q && j+1 < len(expr) && expr[j+1] == q:
			b.WriteByte(q)
			j += 2
			continue
		case c == q:
			return b.String(), j + 1, nil
		}
		b.WriteByte(c)
		j++
	}
	return "", 0, errorAt(expr, i, "this string is not closed: add a %c after it", q)
}
