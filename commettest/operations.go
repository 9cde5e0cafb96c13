package commettest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/commet-go/commet"
)

// DefaultListLimit is the page size of a list without limit.
const DefaultListLimit = 20

// createOne validates and stores one create body: 201 for a new customer,
// 200 with the existing one when its externalId is taken.
func (h *Handler) createOne(b *body) (customer, int, fields) {
	c, errs := newCustomer(b, h.rule)
	if len(errs) > 0 {
		return customer{}, http.StatusBadRequest, errs
	}
	now := h.now().UTC()
	c.OrganizationID, c.CreatedAt, c.UpdatedAt = h.orgID, now, now
	stored, created := h.store.create(c, h.newCustomerID)
	if created {
		return stored, http.StatusCreated, nil
	}
	return stored, http.StatusOK, nil
}

func (h *Handler) create(_ string, _ url.Values, raw []byte) answer {
	b, ok := parseBody(raw)
	if !ok {
		return invalidJSON()
	}
	c, status, errs := h.createOne(&b)
	if errs != nil {
		return validationAnswer(errs)
	}
	return dataAnswer(status, c)
}

// batchFailure is one refused item of a batch. Error is a string, as the
// contract and Commet's Node SDK types say: every field error as "field:
// message", joined by "; ". Code and Details carry the same errors
// structured, for clients that know them; others ignore them.
type batchFailure struct {
	Index   int             `json:"index"`
	Error   string          `json:"error"`
	Code    string          `json:"code"`
	Details fields          `json:"details"`
	Data    json.RawMessage `json:"data"`
}

func itemFailure(i int, item []byte, errs fields) batchFailure {
	msgs := make([]string, len(errs))
	for j, e := range errs {
		msgs[j] = e.Field + ": " + e.Message
	}
	return batchFailure{Index: i, Error: strings.Join(msgs, "; "), Code: "validation_error", Details: errs, Data: item}
}

// batchRequest is a parsed batch body.
type batchRequest struct {
	items   [][]byte // the items as sent
	bodies  []body   // each item decoded
	objects []bool   // whether each item is an object
	unknown []string // keys other than customers
}

// parseBatch decodes {"customers": [...]}; ok is false unless raw is such
// an object.
func parseBatch(raw []byte) (req batchRequest, ok bool) {
	if !checkJSON(raw) {
		return req, false
	}
	var list []byte
	ok = eachMember(raw, func(key, v []byte) {
		if string(key) == "customers" {
			list = v
		} else {
			req.unknown = append(req.unknown, string(key))
		}
	})
	if !ok || list == nil || !eachElement(list, func(v []byte) { req.items = append(req.items, v) }) {
		return req, false
	}
	if len(req.items) > commet.MaxCustomerBatchSize {
		return req, true // refused before decoding
	}
	req.bodies, req.objects = make([]body, len(req.items)), make([]bool, len(req.items))
	for i, item := range req.items {
		req.bodies[i], req.objects[i] = parseItem(item)
	}
	return req, true
}

func (h *Handler) createBatch(_ string, _ url.Values, raw []byte) answer {
	req, ok := parseBatch(raw)
	if !ok {
		return invalidJSON()
	}
	items := req.items
	if n := len(items); n == 0 || n > commet.MaxCustomerBatchSize {
		return validationAnswer(fields{{"customers", fmt.Sprintf("Must hold 1 to %d customers, not %d", commet.MaxCustomerBatchSize, n)}})
	}
	out := struct {
		Successful []customer     `json:"successful"`
		Failed     []batchFailure `json:"failed"`
	}{Successful: make([]customer, 0, len(items)), Failed: []batchFailure{}}
	for i, item := range items {
		if !req.objects[i] {
			out.Failed = append(out.Failed, batchFailure{Index: i, Error: "The item must be a JSON object",
				Code: "invalid_json", Details: fields{}, Data: item})
			continue
		}
		c, _, errs := h.createOne(&req.bodies[i])
		if errs != nil {
			out.Failed = append(out.Failed, itemFailure(i, item, errs))
			continue
		}
		out.Successful = append(out.Successful, c)
	}
	return dataAnswer(http.StatusOK, out)
}

func (h *Handler) get(id string, _ url.Values, _ []byte) answer {
	c, ok := h.store.get(id)
	if !ok {
		return notFound()
	}
	return dataAnswer(http.StatusOK, c)
}

func (h *Handler) update(id string, _ url.Values, raw []byte) answer {
	b, ok := parseBody(raw)
	if !ok {
		return invalidJSON()
	}
	var errs fields
	c, found := h.store.update(id, func(c *customer) bool {
		if errs = applyUpdate(c, &b, h.rule); len(errs) > 0 {
			return false
		}
		c.UpdatedAt = h.now().UTC()
		return true
	})
	switch {
	case !found:
		return notFound()
	case len(errs) > 0:
		return validationAnswer(errs)
	}
	return dataAnswer(http.StatusOK, c)
}

func (h *Handler) list(_ string, query url.Values, _ []byte) answer {
	q := listQuery{limit: DefaultListLimit, search: query.Get("search")}
	var errs fields
	if v := query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs.add("limit", "Must be an integer from 1 to 100")
		}
		q.limit = n
	}
	if v := query.Get("isActive"); v != "" {
		switch v {
		case "true", "false":
			active := v == "true"
			q.isActive = &active
		default:
			errs.add("isActive", "Must be true or false")
		}
	}
	if v := query.Get("cursor"); v != "" {
		first, last := h.store.positions()
		seq, ok := decodeCursor(v, first, last)
		if !ok {
			errs.add("cursor", "Invalid cursor")
		}
		q.after = seq
	}
	if len(errs) > 0 {
		return validationAnswer(errs)
	}
	page, hasMore := h.store.list(q)
	env := success{Success: true, Data: page, HasMore: &hasMore}
	if hasMore {
		env.NextCursor = encodeCursor(page[len(page)-1].seq)
	}
	return encodeAnswer(http.StatusOK, env)
}
