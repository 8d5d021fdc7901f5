package query

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DefaultNearTolerance is the relative tolerance of "near" without "within": 0.1% of the
// value (an absolute 1e-3 when the value is 0).
const DefaultNearTolerance = 1e-3

// realEquality is the relative difference below which two reals are equal: a grid's
// β = 0.44 may be stored as 0.44000000000000006.
const realEquality = 1e-9

// Filter is a parsed filter: comparisons that a row must all satisfy. The zero Filter
// (and the one of an empty expression) matches every row.
type Filter struct {
	expr  string
	conds []*cond
}

// cond is one comparison of a column with literals.
type cond struct {
	col   *Column
	op    string
	match func(Value) bool
}

// String returns the expression the filter was parsed from.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.expr
}

// Empty reports whether the filter matches every row.
func (f *Filter) Empty() bool { return f == nil || len(f.conds) == 0 }

// Columns returns the columns the filter compares, in the order it evaluates them.
func (f *Filter) Columns() []*Column {
	if f == nil {
		return nil
	}
	var out []*Column
	for _, c := range f.conds {
		if !slices.Contains(out, c.col) {
			out = append(out, c.col)
		}
	}
	return out
}

// Match reports whether the row satisfies every comparison. It reads only the columns
// it needs, cheapest first, and stops at the first comparison that fails; a lazy row's
// result is read only if a comparison of the record's columns passes.
func (f *Filter) Match(r *Row) bool {
	if f == nil {
		return true
	}
	for _, c := range f.conds {
		if !c.match(c.col.get(r)) {
			return false
		}
		if r.err != nil {
			return false
		}
	}
	return true
}

// Parse parses a filter expression:
//
//	filter     := "" | comparison { "and" comparison }
//	comparison := column op literal               op: = == != <> < <= > >=
//	            | column "near" number [ ("within" | "±" | "+-") number ["%"] ]
//	            | column ["not"] "in" "(" literal { "," literal } ")"
//	            | column ["not"] ("like" | "ilike") string     % any text, _ one character
//	            | column "is" ["not"] "null"
//	column     := name | `name`                   see Columns; MLflow's params./metrics. prefixes are accepted
//	literal    := number | 'text' | "text"
//
// Keywords are case-insensitive. On real columns "=" holds to a relative 1e-9 (a grid's
// rounding), and "near v" holds within DefaultNearTolerance of v unless "within" says
// otherwise (absolute, or a percentage of v). A null value (an exact comparison the
// result lacks) or a NaN (an undefined estimate) satisfies only "is null" and "!=".
// Errors are *Error, naming the column of the expression where it goes wrong.
func Parse(expr string) (*Filter, error) {
	toks, lerr := lex(expr)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{expr: expr, toks: toks}
	f := &Filter{expr: expr}
	if p.peek().kind == tokEOF {
		return f, nil
	}
	for {
		c, err := p.comparison()
		if err != nil {
			return nil, err
		}
		f.conds = append(f.conds, c)
		t := p.next()
		switch {
		case t.kind == tokEOF:
			slices.SortStableFunc(f.conds, func(a, b *cond) int { return a.col.cost - b.col.cost })
			return f, nil
		case t.keyword() == "and":
			if p.peek().kind == tokEOF {
				return nil, p.errAt(p.peek(), "a comparison must follow and")
			}
		case t.keyword() == "or":
			return nil, p.errAt(t, "or is not supported: a filter is comparisons joined by and (for one column, use in (…))")
		default:
			return nil, p.errAt(t, "expected and or the end of the filter after a comparison, found %s", describe(t))
		}
	}
}

// parser reads tokens.
type parser struct {
	expr string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) *Error {
	return errorAt(p.expr, t.off, format, args...)
}

// describe names a token for a message.
func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "the end of the expression"
	case tokString:
		return strconv.Quote(t.text) + " (text)"
	case tokIdent:
		if k := t.keyword(); k != "" {
			return "the keyword " + k
		}
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// column reads a column name.
func (p *parser) column() (*Column, token, *Error) {
	t := p.next()
	switch {
	case t.kind == tokLParen:
		return nil, t, p.errAt(t, "parentheses group nothing here: a filter is comparisons joined by and")
	case t.keyword() == "not":
		return nil, t, p.errAt(t, "not goes after the column: column not in (…), column not like '…', column is not null, or column != value")
	case t.kind != tokIdent || t.keyword() != "" && t.keyword() != "null":
		return nil, t, p.errAt(t, "expected a column name, found %s (columns: %s)", describe(t), shortList())
	}
	c, ok := Lookup(t.text)
	if !ok {
		if s := suggest(t.text); s != "" {
			return nil, t, p.errAt(t, "unknown column %q (did you mean %q?)", t.text, s)
		}
		return nil, t, p.errAt(t, "unknown column %q (columns: %s)", t.text, shortList())
	}
	return c, t, nil
}

// shortList names the columns for a message.
func shortList() string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func (p *parser) comparison() (*cond, *Error) {
	col, _, err := p.column()
	if err != nil {
		return nil, err
	}
	t := p.next()
	switch kw := t.keyword(); {
	case t.kind == tokOp:
		lit := p.next()
		v, err := p.literal(col, lit)
		if err != nil {
			return nil, err
		}
		return p.compare(col, t, v)
	case kw == "near":
		return p.near(col, t)
	case kw == "in":
		return p.in(col, false)
	case kw == "like" || kw == "ilike":
		return p.like(col, kw, false)
	case kw == "is":
		neg := false
		if p.peek().keyword() == "not" {
			p.next()
			neg = true
		}
		if n := p.next(); n.keyword() != "null" {
			return nil, p.errAt(n, "expected null after is, found %s", describe(n))
		}
		op := "is null"
		if neg {
			op = "is not null"
		}
		return &cond{col: col, op: op, match: func(v Value) bool { return v.undefined() != neg }}, nil
	case kw == "not":
		n := p.next()
		switch n.keyword() {
		case "in":
			return p.in(col, true)
		case "like", "ilike":
			return p.like(col, n.keyword(), true)
		}
		return nil, p.errAt(n, "expected in, like or ilike after not, found %s", describe(n))
	case t.kind == tokEOF:
		return nil, p.errAt(t, "the comparison of %s is missing its operator: =, !=, <, <=, >, >=, near, in, like or is null", col.Name)
	}
	return nil, p.errAt(t, "expected an operator after %s (=, !=, <, <=, >, >=, near, in, like, is null), found %s", col.Name, describe(t))
}

// literal reads the value compared with col, checking it against col's kind.
func (p *parser) literal(col *Column, t token) (Value, *Error) {
	switch t.kind {
	case tokNumber:
		if col.Kind == Text {
			return Value{}, p.errAt(t, "%s is text: write the value in quotes, %s = '%s'", col.Name, col.Name, t.text)
		}
		return p.number(t)
	case tokString:
		if col.Kind == Text {
			return textValue(t.text), nil
		}
		// MLflow users quote parameters: accept a quoted number.
		v, err := p.number(token{kind: tokNumber, text: strings.TrimSpace(t.text), off: t.off + 1})
		if err != nil {
			return Value{}, p.errAt(t, "%s is a number, %s is not", col.Name, describe(t))
		}
		return v, nil
	case tokEOF:
		return Value{}, p.errAt(t, "a value must follow: a number or 'text'")
	case tokIdent:
		if col.Kind == Text && t.keyword() == "" {
			return Value{}, p.errAt(t, "%s is text: write its value in quotes, '%s'", col.Name, t.text)
		}
	}
	return Value{}, p.errAt(t, "expected a value (a number or 'text'), found %s", describe(t))
}

// number parses a numeric literal, exactly when it is a whole number that fits a uint64.
func (p *parser) number(t token) (Value, *Error) {
	if n, err := strconv.ParseUint(strings.TrimPrefix(t.text, "+"), 10, 64); err == nil {
		return intValue(n), nil
	}
	x, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return Value{}, p.errAt(t, "%q is not a number", t.text)
	}
	return realValue(x), nil
}

// compare builds the comparison col op v.
func (p *parser) compare(col *Column, opTok token, v Value) (*cond, *Error) {
	op := opTok.text
	switch op {
	case "==":
		op = "="
	case "<>":
		op = "!="
	}
	if col.Kind == Text && op != "=" && op != "!=" {
		return nil, p.errAt(opTok, "%s is text: compare it with =, !=, in, like or ilike, not %s", col.Name, op)
	}
	c := &cond{col: col, op: op}
	switch col.Kind {
	case Text:
		want := v.Text
		c.match = func(x Value) bool { return (!x.undefined() && x.Text == want) != (op == "!=") }
	default:
		c.match = func(x Value) bool {
			if x.undefined() {
				return op == "!="
			}
			d := cmpNumber(x, v)
			switch op {
			case "=":
				return d == 0
			case "!=":
				return d != 0
			case "<":
				return d < 0
			case "<=":
				return d <= 0
			case ">":
				return d > 0
			}
			return d >= 0
		}
	}
	return c, nil
}

// cmpNumber compares two numeric values: integers exactly, reals to a relative 1e-9.
func cmpNumber(x, v Value) int {
	if x.Kind == Int && v.Kind == Int {
		switch {
		case x.Int < v.Int:
			return -1
		case x.Int > v.Int:
			return 1
		}
		return 0
	}
	a, b := x.Real, v.Real
	if a == b || math.Abs(a-b) <= realEquality*max(math.Abs(a), math.Abs(b)) {
		return 0
	}
	if a < b {
		return -1
	}
	return 1
}

// near reads "near v [within t[%]]".
func (p *parser) near(col *Column, nearTok token) (*cond, *Error) {
	if col.Kind == Text {
		return nil, p.errAt(nearTok, "%s is text: near compares numbers", col.Name)
	}
	lit := p.next()
	if lit.kind != tokNumber {
		return nil, p.errAt(lit, "near needs a number, found %s", describe(lit))
	}
	v, err := p.number(lit)
	if err != nil {
		return nil, err
	}
	center := v.Real
	tol := DefaultNearTolerance * math.Abs(center)
	if center == 0 {
		tol = DefaultNearTolerance
	}
	if t := p.peek(); t.keyword() == "within" || t.kind == tokPlusMinus {
		p.next()
		tl := p.next()
		if tl.kind != tokNumber {
			return nil, p.errAt(tl, "a tolerance must follow %s: a number, or a percentage such as 1%%", t.text)
		}
		tv, err := p.number(tl)
		if err != nil {
			return nil, err
		}
		if tv.Real < 0 {
			return nil, p.errAt(tl, "the tolerance must be ≥ 0, got %s", tl.text)
		}
		tol = tv.Real
		if p.peek().kind == tokPercent {
			p.next()
			tol = tv.Real / 100 * math.Abs(center)
		}
	}
	return &cond{col: col, op: "near", match: func(x Value) bool {
		return !x.undefined() && math.Abs(x.Real-center) <= tol*(1+realEquality)
	}}, nil
}

// in reads "(v, …)" after in.
func (p *parser) in(col *Column, neg bool) (*cond, *Error) {
	open := p.next()
	if open.kind != tokLParen {
		return nil, p.errAt(open, "in needs a list in parentheses: %s in (…, …)", col.Name)
	}
	var vals []Value
	for {
		t := p.next()
		if t.kind == tokRParen && len(vals) == 0 {
			return nil, p.errAt(t, "the list of in is empty")
		}
		v, err := p.literal(col, t)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		sep := p.next()
		if sep.kind == tokRParen {
			break
		}
		if sep.kind != tokComma {
			return nil, p.errAt(sep, "expected , or ) in the list of in, found %s", describe(sep))
		}
	}
	op := "in"
	if neg {
		op = "not in"
	}
	return &cond{col: col, op: op, match: func(x Value) bool {
		if x.undefined() {
			return neg
		}
		for _, v := range vals {
			if col.Kind == Text && x.Text == v.Text || col.Kind != Text && cmpNumber(x, v) == 0 {
				return !neg
			}
		}
		return neg
	}}, nil
}

// like reads the pattern after like or ilike.
func (p *parser) like(col *Column, kw string, neg bool) (*cond, *Error) {
	if col.Kind != Text {
		return nil, p.errAt(p.toks[p.i-1], "%s is a number: %s compares text (use =, <, near or in)", col.Name, kw)
	}
	t := p.next()
	if t.kind != tokString {
		return nil, p.errAt(t, "%s needs a pattern in quotes ('%%' is any text, '_' one character), found %s", kw, describe(t))
	}
	var b strings.Builder
	if kw == "ilike" {
		b.WriteString("(?i)")
	}
	b.WriteString("(?s)^")
	for _, r := range t.text {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re := regexp.MustCompile(b.String())
	op := kw
	if neg {
		op = "not " + kw
	}
	return &cond{col: col, op: op, match: func(x Value) bool {
		if x.undefined() {
			return neg
		}
		return re.MatchString(x.Text) != neg
	}}, nil
}
