package commettest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// DefaultListLimit is the page size of a list without limit.
const DefaultListLimit = 20

// MaxBatch is the most customers one batch create may carry.
const MaxBatch = 100

func invalidJSON() answer {
	return errorAnswer(http.StatusBadRequest, "invalid_json", "The request body must be a JSON object", nil)
}

func notFound() answer {
	return errorAnswer(http.StatusNotFound, "not_found", "Customer not found", nil)
}

// createOne validates and stores one create body: 201 for a new customer,
// 200 with the existing one when its externalId is taken.
func (h *Handler) createOne(b *body) (customer, int, fields) {
	c, errs := newCustomer(b)
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

// batchFailure is one refused item of a batch.
type batchFailure struct {
	Index int             `json:"index"`
	Error string          `json:"error"`
	Data  json.RawMessage `json:"data"`
}

func (h *Handler) createBatch(_ string, _ url.Values, raw []byte) answer {
	var req struct {
		Customers []json.RawMessage `json:"customers"`
	}
	if json.Unmarshal(raw, &req) != nil || req.Customers == nil {
		return invalidJSON()
	}
	if n := len(req.Customers); n == 0 || n > MaxBatch {
		return validationAnswer(fields{{"customers", fmt.Sprintf("Must hold 1 to %d customers, not %d", MaxBatch, n)}})
	}
	out := struct {
		Successful []customer     `json:"successful"`
		Failed     []batchFailure `json:"failed"`
	}{Successful: make([]customer, 0, len(req.Customers)), Failed: []batchFailure{}}
	for i, item := range req.Customers {
		b, ok := parseBody(item)
		if !ok {
			out.Failed = append(out.Failed, batchFailure{i, "The item must be a JSON object", item})
			continue
		}
		c, _, errs := h.createOne(&b)
		if errs != nil {
			out.Failed = append(out.Failed, batchFailure{i, errs[0].Field + ": " + errs[0].Message, item})
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
		if errs = applyUpdate(c, &b); len(errs) > 0 {
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
		seq, ok := decodeCursor(v, h.store.len())
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
