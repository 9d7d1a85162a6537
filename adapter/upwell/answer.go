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
func decodeUsual(raw []byte, a *answer) (ok bool) {
	body := bytes.TrimLeft(raw, " \t\r\n")
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return false
	}
	ok = true
	var seenCustomer, seenRules bool
	rawjson.Walk(body, func(name, rest []byte) int {
		switch rawjson.FoldIndex(name, "updateCustomer", "updateCustomerRules") {
		case 0:
			ok = ok && !seenCustomer
			seenCustomer = true
			return walkObject(rest, &ok, func(name, rest []byte) int { return customerMember(name, rest, a, &ok) })
		case 1:
			ok = ok && !seenRules
			seenRules = true
			return walkObject(rest, &ok, func(name, rest []byte) int { return rulesMember(name, rest, a, &ok) })
		}
		return 0
	})
	return ok
}

// walkObject walks the object at the start of rest with yield, or,
// when rest holds another value, clears ok and skips it.
func walkObject(rest []byte, ok *bool, yield func(name, rest []byte) int) int {
	if rest[0] != '{' {
		*ok = false
		return 0
	}
	return rawjson.Walk(rest, yield)
}

// customerMember reads a member of updateCustomer: affectedRows, or
// returning, whose first record alone is read (the others are not
// verified).
func customerMember(name, rest []byte, a *answer, ok *bool) int {
	switch rawjson.FoldIndex(name, "affectedRows", "returning") {
	case 0:
		return countLiteral(rest, &a.UpdateCustomer.AffectedRows, ok)
	case 1:
		if rest[0] != '[' || a.UpdateCustomer.seenReturning {
			*ok = false
			return 0
		}
		a.UpdateCustomer.seenReturning = true
		first := true
		return rawjson.WalkItems(rest, func(item []byte) int {
			if !first {
				return 0
			}
			first = false
			stored := &a.UpdateCustomer.Returning[0]
			return walkObject(item, ok, func(name, rest []byte) int { return recordMember(name, rest, stored, ok) })
		})
	}
	return 0
}

// rulesMember reads a member of updateCustomerRules: affectedRows.
func rulesMember(name, rest []byte, a *answer, ok *bool) int {
	if rawjson.NameFolds(name, "affectedRows") {
		return countLiteral(rest, &a.UpdateCustomerRules.AffectedRows, ok)
	}
	return 0
}

// countLiteral reads a row count written as a number, once; anything else
// clears ok.
func countLiteral(rest []byte, c *rowCount, ok *bool) int {
	n := rawjson.ValueLen(rest)
	if c.present || rest[0] != '-' && (rest[0] < '0' || rest[0] > '9') {
		*ok = false
		return n
	}
	c.Number, c.present = json.Number(rest[:n]), true
	return n
}

// recordMember reads a column of a returned record. A name that folds to
// a column's without being it (Postgres keeps "Name" and "name" apart),
// or a column written twice, clears ok: encoding/json then decides, whose
// case:strict option is honoured only from go1.27 on.
func recordMember(name, rest []byte, stored *storedCustomer, ok *bool) int {
	i := rawjson.FoldIndex(name, columns[:]...)
	if i < 0 {
		return 0
	}
	column := [...]*json.RawMessage{&stored.ID, &stored.Name, &stored.EmailAddress, &stored.CcEmailAddresses, &stored.Metadata, &stored.BillToCustomerID}[i]
	n := rawjson.ValueLen(rest)
	if !rawjson.Plain(name) || string(name[1:len(name)-1]) != columns[i] || *column != nil {
		*ok = false
		return n
	}
	*column = rest[:n]
	return n
}
