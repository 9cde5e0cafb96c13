package commettest

import (
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Strict mode ([WithStrict]) refuses requests that Commet would accept but
// that a well-behaved client should never send. Each refusal is a 400 whose
// code is contract_violation, whose message names every rule broken, and
// whose details list them as {"rule", "field", "message"}.

// The rules of strict mode, as they appear in a contract_violation's details.
const (
	ruleCommetVersion = "commet_version"
	ruleIdempotency   = "idempotency_key"
	ruleContentType   = "content_type"
	ruleUnknownField  = "unknown_field"
	ruleUnknownQuery  = "unknown_query_parameter"
)

// violation is one broken rule of strict mode.
type violation struct {
	Rule    string `json:"rule"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// The fields the contract knows, per object.
var (
	createFields  = []string{"billingEmail", "externalId", "fullName", "domain", "website", "timezone", "language", "industry", "metadata", "address"}
	updateFields  = []string{"billingEmail", "fullName", "domain", "website", "timezone", "language", "industry", "metadata", "address", "isActive"}
	addressFields = []string{"line1", "line2", "city", "state", "postalCode", "country"}
	batchFields   = []string{"customers"}
	listParams    = []string{"limit", "cursor", "isActive", "search"}
)

func contractViolation(vs []violation) answer {
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Message
	}
	return errorAnswer(http.StatusBadRequest, "contract_violation", "Strict mode: "+strings.Join(msgs, "; "), vs)
}

// checkHeaders applies the header rules of strict mode to r, whose body
// (already read) is body.
func checkHeaders(r *http.Request, body []byte) []violation {
	var vs []violation
	if strings.TrimSpace(r.Header.Get("Commet-Version")) == "" {
		vs = append(vs, violation{Rule: ruleCommetVersion,
			Message: "no Commet-Version header: pin the API version (such as 2026-05-01) on every request, so that a new version cannot change the answers under you"})
	}
	if r.Method == http.MethodPost && strings.TrimSpace(r.Header.Get("Idempotency-Key")) == "" {
		vs = append(vs, violation{Rule: ruleIdempotency,
			Message: "a POST without an Idempotency-Key header: send one, the same on every retry, so that a retried POST cannot act twice"})
	}
	if len(body) > 0 && !isJSONContentType(r.Header.Get("Content-Type")) {
		vs = append(vs, violation{Rule: ruleContentType,
			Message: "a body sent with Content-Type " + quote(r.Header.Get("Content-Type")) + ": want application/json (a charset=utf-8 parameter is fine)"})
	}
	return vs
}

// isJSONContentType accepts application/json, alone or with a UTF-8 charset.
func isJSONContentType(v string) bool {
	mediaType, params, err := mime.ParseMediaType(v)
	if err != nil || mediaType != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// unknownFields returns a violation for each key of an object that known
// does not list; prefix names the object ("customers[2].", say).
func unknownFields(prefix string, keys, known []string) []violation {
	var vs []violation
	for _, k := range keys {
		vs = append(vs, unknownField(prefix, k, known))
	}
	return vs
}

func unknownField(prefix, key string, known []string) violation {
	msg := "unknown field " + quote(prefix+key)
	for _, k := range known {
		if strings.EqualFold(k, key) {
			msg += ": field names are case-sensitive, did you mean " + quote(prefix+k) + "?"
			return violation{Rule: ruleUnknownField, Field: prefix + key, Message: msg}
		}
	}
	msg += ": the contract has no such field (" + strings.Join(known, ", ") + ")"
	return violation{Rule: ruleUnknownField, Field: prefix + key, Message: msg}
}

// bodyViolations checks the keys of a customer body and of its address.
// update says which operation the body is for: update knows isActive but
// not externalId, create the other way round.
func bodyViolations(prefix string, b *body, update bool) []violation {
	known := createFields
	keys := b.unknown
	if update && b.ExternalID != nil {
		keys = append(keys[:len(keys):len(keys)], "externalId")
	}
	if update {
		known = updateFields
	} else if b.IsActive != nil {
		keys = append(keys[:len(keys):len(keys)], "isActive")
	}
	vs := unknownFields(prefix, keys, known)
	if b.Address != nil {
		if a, ok := parseAddressBody(b.Address); ok {
			vs = append(vs, unknownFields(prefix+"address.", a.unknown, addressFields)...)
		}
	}
	return vs
}

// strictViolations applies the field rules of strict mode to a request
// for op, before anything else reads it: a request that breaks them is
// refused whole, and its Idempotency-Key is not used up. A body that is
// not JSON breaks no rule here: the operation refuses it as invalid_json.
func strictViolations(op opKind, query url.Values, raw []byte) []violation {
	switch op {
	case opList:
		return queryViolations(query)
	case opCreate, opUpdate:
		if b, ok := parseBody(raw); ok {
			return bodyViolations("", &b, op == opUpdate)
		}
	case opBatch:
		req, ok := parseBatch(raw)
		if !ok {
			return nil
		}
		vs := unknownFields("", req.unknown, batchFields)
		for i := range req.bodies {
			if req.objects[i] {
				vs = append(vs, bodyViolations("customers["+strconv.Itoa(i)+"].", &req.bodies[i], false)...)
			}
		}
		return vs
	}
	return nil
}

// queryViolations checks the parameters of a list request.
func queryViolations(q url.Values) []violation {
	var vs []violation
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(listParams, k) {
			v := unknownField("", k, listParams)
			v.Rule = ruleUnknownQuery
			v.Message = strings.Replace(v.Message, "unknown field", "unknown query parameter", 1)
			vs = append(vs, v)
		}
	}
	return vs
}

// quote quotes s for a message, keeping it short.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
