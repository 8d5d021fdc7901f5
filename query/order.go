package query

import (
	"cmp"
	"slices"
	"strings"
)

// Order is a parsed sort order: columns, each ascending or descending. Rows equal in
// every key keep the order of their sweep id and task index.
type Order struct {
	expr string
	keys []orderKey
}

type orderKey struct {
	col  *Column
	desc bool
}

// String returns the expression the order was parsed from.
func (o *Order) String() string {
	if o == nil {
		return ""
	}
	return o.expr
}

// Empty reports whether the order has no key: rows come by sweep id and task index.
func (o *Order) Empty() bool { return o == nil || len(o.keys) == 0 }

// ParseOrder parses a sort order: column names separated by commas, each followed by asc
// (the default) or desc, or written -column for desc:
//
//	size desc, beta
//	-size,beta
//
// Null values (and NaN) sort last either way. Errors are *Error.
func ParseOrder(expr string) (*Order, error) {
	toks, lerr := lex(expr)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{expr: expr, toks: toks}
	o := &Order{expr: expr}
	if p.peek().kind == tokEOF {
		return o, nil
	}
	for {
		desc := false
		if p.peek().kind == tokMinus {
			p.next()
			desc = true
		}
		col, _, err := p.column()
		if err != nil {
			return nil, err
		}
		switch p.peek().keyword() {
		case "asc":
			p.next()
		case "desc":
			p.next()
			desc = true
		}
		o.keys = append(o.keys, orderKey{col: col, desc: desc})
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return o, nil
		case t.kind == tokComma:
		default:
			return nil, p.errAt(t, "expected , or the end of the order after %s, found %s (write: column [asc|desc], …)", col.Name, describe(t))
		}
	}
}

// Sort sorts rows by the order, reading each row's keys once (Compare reads them at
// every comparison).
func (o *Order) Sort(rows []*Row) {
	if o.Empty() {
		slices.SortStableFunc(rows, o.Compare)
		return
	}
	type keyed struct {
		row  *Row
		keys []Value
	}
	ks := make([]keyed, len(rows))
	vals := make([]Value, len(rows)*len(o.keys))
	for i, r := range rows {
		k := vals[i*len(o.keys) : (i+1)*len(o.keys)]
		for j, key := range o.keys {
			k[j] = key.col.get(r)
		}
		ks[i] = keyed{r, k}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		for j, key := range o.keys {
			if d := compareValues(a.keys[j], b.keys[j], key.desc); d != 0 {
				return d
			}
		}
		if d := strings.Compare(a.row.SweepID, b.row.SweepID); d != 0 {
			return d
		}
		return cmp.Compare(a.row.Ref.GetIndex(), b.row.Ref.GetIndex())
	})
	for i := range ks {
		rows[i] = ks[i].row
	}
}

// Compare orders two rows: negative when a sorts before b.
func (o *Order) Compare(a, b *Row) int {
	if o != nil {
		for _, k := range o.keys {
			if d := compareValues(k.col.get(a), k.col.get(b), k.desc); d != 0 {
				return d
			}
		}
	}
	if d := strings.Compare(a.SweepID, b.SweepID); d != 0 {
		return d
	}
	return cmp.Compare(a.Ref.GetIndex(), b.Ref.GetIndex())
}

// compareValues orders two values of a column, undefined ones last.
func compareValues(x, y Value, desc bool) int {
	ux, uy := x.undefined(), y.undefined()
	switch {
	case ux && uy:
		return 0
	case ux:
		return 1
	case uy:
		return -1
	}
	var d int
	switch x.Kind {
	case Text:
		d = strings.Compare(x.Text, y.Text)
	case Int:
		d = cmp.Compare(x.Int, y.Int)
	default:
		d = cmp.Compare(x.Real, y.Real)
	}
	if desc {
		return -d
	}
	return d
}
