// Package bulk runs a batch of customer updates end to end: it reads an
// input, sends each customer's records in input order while other
// customers flow, skips what a state store holds as confirmed, writes a
// failures file that is an input again, halts when the vendor cannot be
// reached, and returns a report in which every record is accounted for.
package bulk
