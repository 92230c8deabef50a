package convirzatest

import "slices"

// What the areas share to find and list their records: every record that
// belongs to an org unit says which (owner), and who sees it follows (S1).

// record is a record that belongs to an org unit.
type record interface{ owner() int64 }

// visible returns the record of m with that id, or the 404 for it: a record
// that does not exist and one outside the caller's scope are both not found
// (S1). what names the kind of record in the message.
func visible[R record](c *call, m map[int64]R, id int64, what string) (R, *apiError) {
	r, ok := m[id]
	if !ok || !c.inScope(r.owner()) {
		var none R
		return none, notFound(what)
	}
	return r, nil
}

// lookup is visible for the {id} path segment, which must first be a
// positive integer (400).
func lookup[R record](c *call, m map[int64]R, what string) (R, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		var none R
		return none, err
	}
	return visible(c, m, id, what)
}

// remove is a hard DELETE /…/{id}: the record leaves m, and the reply names
// its id under key.
func remove[R record](c *call, m map[int64]R, what, key string) (any, *apiError) {
	id, err := c.pathID("id")
	if err != nil {
		return nil, err
	}
	if _, err := visible(c, m, id, what); err != nil {
		return nil, err
	}
	delete(m, id)
	return map[string]int64{key: id}, nil
}

// filter returns the records of m that keep accepts, in no order.
func filter[R any](m map[int64]R, keep func(R) bool) []R {
	var found []R
	for _, r := range m {
		if keep(r) {
			found = append(found, r)
		}
	}
	return found
}

// under returns the records of m that belong to org unit ouID or to a unit
// below it, and that keep accepts, in no order.
func under[R record](s *state, m map[int64]R, ouID int64, keep func(R) bool) []R {
	return filter(m, func(r R) bool { return s.within(ouID, r.owner()) && keep(r) })
}

// listReply is the data of a list: found sorted by order (unless nil), the
// page [offset, offset+limit) of it rendered by view under key, and the
// number found as "total".
func listReply[R, V any](key string, found []R, order func(a, b R) int, limit, offset int, view func(R) V) map[string]any {
	if order != nil {
		slices.SortFunc(found, order)
	}
	items := []V{}
	for _, r := range page(found, limit, offset) {
		items = append(items, view(r))
	}
	return map[string]any{key: items, "total": len(found)}
}

// page returns the window [offset, offset+limit) of items, never nil, so a
// list past its end encodes as [] with the real total.
func page[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(len(items), offset+limit)]
}
