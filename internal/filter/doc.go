// Package filter compiles and evaluates endpoint payload filters (DESIGN
// §9.2): a JSON object matched against the document
// {"type": <event type>, "channels": [<strings>], "data": <payload>}.
//
// Grammar. A filter object's keys are ANDed, in the order written. A key
// not starting with "$" names a field; its value is
//   - a scalar or an array: equality with the field ($eq);
//   - an object of operators ("$…" keys): each applied to the field, ANDed;
//   - an object of field names: a nested filter on the field's value (a
//     path). On an array value it holds when some element satisfies it as
//     a whole, so {"items": {"sku": "A", "qty": 2}} needs one item with both.
//
// $and / $or (non-empty arrays of objects) and $not (an object) may stand
// wherever field names or operators may, and apply to the same value: at
// the top level to the document, inside a field's object to that field.
// So field-level {"$not": {"$gt": 5}} negates the operator object, and
// {"$or": [{"$lt": 0}, {"$gt": 9}]} ORs two operator objects. Only
// comparison operators ($eq … $regex) are barred from the top level and
// from objects that also hold field names (the "mixed" error); $and,
// $or and $not may sit beside field names. An empty object {} has no
// conditions and matches everything, wherever it appears ($not: {}
// therefore matches nothing).
//
// Operators: $eq $neq $gt $gte $lt $lte $in $nin $startsWith $endsWith
// $contains $exist $regex. A scalar matches an array that contains it:
// on an array field, $eq with a non-array operand, $in, the comparisons,
// $startsWith, $endsWith and $regex hold when any element does (one
// level: [[1]] does not contain 1). $eq with an array operand is deep
// equality with the field; $contains holds on a string containing the
// operand string and on an array with an element equal to the operand.
// $neq and $nin are the exact negations of $eq and $in: {"$neq": "a"} on
// ["a", "b"] fails because the array contains "a".
//
// Missing fields and null. A missing field fails every operator except
// $neq, $nin and $exist: false, which hold; a nested filter below a
// missing field sees its fields missing too. A field that is present and
// null is a value: {"x": null} and {"x": {"$in": [null]}} match it,
// {"x": {"$neq": null}} does not, {"x": {"$neq": 1}} does, {"x":
// {"$exist": true}} does, and comparisons, $startsWith and the like fail
// on it. A missing field is not null: {"x": {"$neq": null}} holds when x
// is missing.
//
// Values. Numbers compare by exact decimal value (1 == 1.0 == 1e0, and
// integers beyond 2^53 are told apart): DecodeData keeps them as
// json.Number and matching compares their digits, never rounding. Data
// that holds float64 (e.g. from a plain json.Unmarshal) compares at
// float64 precision. $gt/$gte/$lt/$lte order two numbers or two strings
// (bytewise, i.e. by UTF-8 code point); across types they are false.
// Equality never converts types ("1" != 1, true != 1).
//
// Limits (a violation is an *Error naming its JSON pointer): the raw
// filter is at most MaxBytes; objects and arrays nest at most MaxDepth
// levels, the top-level object being level 1 and literal operands
// counting too; at most MaxOperators "$" keys in all, logical ones
// included (keys inside a literal operand such as {"$eq": {...}} are
// data, not operators); $in/$nin hold at most MaxListItems items; a
// $regex is RE2 (Go regexp syntax, so matching is linear in the text), at
// most MaxRegex characters and a few thousand compiled instructions.
// Duplicate keys are rejected: their meaning would depend on the decoder.
// Field names cannot start with "$" and address object members only (no
// array indexes).
package filter
