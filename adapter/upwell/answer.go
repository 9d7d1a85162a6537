package upwell

import (
	"bytes"
	"encoding/json"

	"github.com/custsync/custsync/adapter/internal/rawjson"
)

// The columns of a returned record that verifying a write reads, by their
// exact names (see storedCustomer).
const (
	columnID               = "id"
	columnName             = "name"
	columnEmailAddress     = "emailAddress"
	columnCcEmailAddresses = "ccEmailAddresses"
	columnMetadata         = "metadata"
	columnBillToCustomerID = "billToCustomerId"
)

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
	rawjson.Members(body, func(name, value []byte, _, _ int) {
		switch rawjson.FoldIndex(name, "updateCustomer", "updateCustomerRules") {
		case 0:
			ok = ok && !seenCustomer && decodeCustomerPart(value, a)
			seenCustomer = true
		case 1:
			ok = ok && !seenRules && decodeRulesPart(value, a)
			seenRules = true
		}
	})
	return ok
}

// decodeCustomerPart reads updateCustomer: {affectedRows, returning}.
func decodeCustomerPart(value []byte, a *answer) bool {
	if value[0] != '{' {
		return false
	}
	ok := true
	var seenRows, seenReturning bool
	rawjson.Members(value, func(name, v []byte, _, _ int) {
		switch rawjson.FoldIndex(name, "affectedRows", "returning") {
		case 0:
			ok = ok && !seenRows && countLiteral(v, &a.UpdateCustomer.AffectedRows)
			seenRows = true
		case 1:
			ok = ok && !seenReturning && decodeReturning(v, &a.UpdateCustomer.Returning[0])
			seenReturning = true
		}
	})
	return ok
}

// decodeRulesPart reads updateCustomerRules: {affectedRows}.
func decodeRulesPart(value []byte, a *answer) bool {
	if value[0] != '{' {
		return false
	}
	ok := true
	seen := false
	rawjson.Members(value, func(name, v []byte, _, _ int) {
		if rawjson.NameFolds(name, "affectedRows") {
			ok = ok && !seen && countLiteral(v, &a.UpdateCustomerRules.AffectedRows)
			seen = true
		}
	})
	return ok
}

// countLiteral reads a row count written as a number.
func countLiteral(v []byte, c *rowCount) bool {
	if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return false
	}
	c.Number, c.present = json.Number(v), true
	return true
}

// decodeReturning reads the first record of returning, an array of
// objects (the other records are not verified).
func decodeReturning(v []byte, stored *storedCustomer) bool {
	if v[0] != '[' {
		return false
	}
	ok, first := true, true
	rawjson.Items(v, func(item []byte) {
		if !first {
			return
		}
		first = false
		ok = item[0] == '{' && decodeRecord(item, stored)
	})
	return ok
}

// decodeRecord reads the columns of a returned record. A name that folds
// to a column's without being it (Postgres keeps "Name" and "name"
// apart) is left to encoding/json, whose case:strict option is honoured
// only from go1.27 on.
func decodeRecord(record []byte, stored *storedCustomer) bool {
	ok := true
	rawjson.Members(record, func(name, v []byte, _, _ int) {
		i := rawjson.FoldIndex(name, columnID, columnName, columnEmailAddress, columnCcEmailAddresses, columnMetadata, columnBillToCustomerID)
		if i < 0 || !ok {
			return
		}
		column := [...]*json.RawMessage{&stored.ID, &stored.Name, &stored.EmailAddress, &stored.CcEmailAddresses, &stored.Metadata, &stored.BillToCustomerID}[i]
		exact := [...]string{columnID, columnName, columnEmailAddress, columnCcEmailAddresses, columnMetadata, columnBillToCustomerID}[i]
		if !rawjson.Plain(name) || string(name[1:len(name)-1]) != exact || *column != nil {
			ok = false
			return
		}
		*column = v
	})
	return ok
}
