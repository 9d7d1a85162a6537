package upwell

import (
	"bytes"
	"encoding/json"

	"github.com/custsync/custsync/adapter/internal/rawjson"
)

// columns are the columns of a returned record that verifying a write
// reads, by their exact names, in the order of storedCustomer's fields.
var columns = [...]string{"id", "name", "emailAddress", "ccEmailAddresses", "metadata", "billToCustomerId"}

// decodeUsual reads an answer of the usual shape without decoding or
// copying a value: the counts as number literals, the first returned
// record an object whose columns are written as our names are. Every
// value it keeps is a slice of raw. ok is false for anything else (a
// count written as a string or null, a name written in another letter
// case or twice, a part of another shape, text that is not JSON), which
// decodeResponse then reads with encoding/json as before: on the answers
// decodeUsual accepts, both give the same result
// (FuzzTheUsualAnswerDecodesAsEncodingJSONDoes).
func decodeUsual(raw []byte, a *answer) bool {
	body := bytes.TrimLeft(raw, " \t\r\n")
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return false
	}
	r := usualReader{a: a, ok: true}
	rawjson.Walk(body, r.topMember)
	return r.ok
}

// usualReader is decodeUsual's state while it walks an answer: what it
// has read into a, whether the answer is still of the usual shape, and
// which parts it has seen (a part seen twice is not).
type usualReader struct {
	a                                     *answer
	ok                                    bool
	seenCustomer, seenRules, seenReturned bool
}

// topMember reads updateCustomer and updateCustomerRules.
func (r *usualReader) topMember(name, rest []byte) int {
	switch rawjson.FoldIndex(name, "updateCustomer", "updateCustomerRules") {
	case 0:
		r.ok = r.ok && !r.seenCustomer
		r.seenCustomer = true
		return r.object(rest, r.customerMember)
	case 1:
		r.ok = r.ok && !r.seenRules
		r.seenRules = true
		return r.object(rest, r.rulesMember)
	}
	return 0
}

// object walks the object at the start of rest with yield, or, when rest
// holds another value, leaves the answer to encoding/json and skips it.
func (r *usualReader) object(rest []byte, yield func(name, rest []byte) int) int {
	if rest[0] != '{' {
		r.ok = false
		return 0
	}
	return rawjson.Walk(rest, yield)
}

// customerMember reads a member of updateCustomer: affectedRows, or
// returning, whose first record alone is read (the others are not
// verified).
func (r *usualReader) customerMember(name, rest []byte) int {
	switch rawjson.FoldIndex(name, "affectedRows", "returning") {
	case 0:
		return r.count(rest, &r.a.UpdateCustomer.AffectedRows)
	case 1:
		if rest[0] != '[' || r.seenReturned {
			r.ok = false
			return 0
		}
		r.seenReturned = true
		first := true
		return rawjson.WalkItems(rest, func(item []byte) int {
			if !first {
				return 0
			}
			first = false
			return r.object(item, r.recordMember)
		})
	}
	return 0
}

// rulesMember reads a member of updateCustomerRules: affectedRows.
func (r *usualReader) rulesMember(name, rest []byte) int {
	if rawjson.NameFolds(name, "affectedRows") {
		return r.count(rest, &r.a.UpdateCustomerRules.AffectedRows)
	}
	return 0
}

// count reads a row count written as a number, once; anything else is
// left to encoding/json.
func (r *usualReader) count(rest []byte, c *rowCount) int {
	n := rawjson.ValueLen(rest)
	if c.present || rest[0] != '-' && (rest[0] < '0' || rest[0] > '9') {
		r.ok = false
		return n
	}
	c.Number, c.present = json.Number(rest[:n]), true
	return n
}

// recordMember reads a column of the first returned record. A name that
// folds to a column's without being it (Postgres keeps "Name" and "name"
// apart), or a column written twice, is left to encoding/json, whose
// case:strict option is honoured only from go1.27 on.
func (r *usualReader) recordMember(name, rest []byte) int {
	i := rawjson.FoldIndex(name, columns[:]...)
	if i < 0 {
		return 0
	}
	stored := &r.a.UpdateCustomer.Returning[0]
	column := [...]*json.RawMessage{&stored.ID, &stored.Name, &stored.EmailAddress, &stored.CcEmailAddresses, &stored.Metadata, &stored.BillToCustomerID}[i]
	n := rawjson.ValueLen(rest)
	if !rawjson.Plain(name) || string(name[1:len(name)-1]) != columns[i] || *column != nil {
		r.ok = false
		return n
	}
	*column = rest[:n]
	return n
}
