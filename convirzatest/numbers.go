package convirzatest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// numbersAPI are the operations of this area; router.go lists every area.
var numbersAPI = []route{
	{pattern: "GET /v3/phone-numbers/assigned", access: anyRole, handle: listAssignedNumbers},
	{pattern: "GET /v3/phone-numbers/provisioned", access: anyRole, handle: listProvisionedNumbers},
	{pattern: "GET /v3/phone-numbers/available", access: anyRole, handle: searchNumbers},
	{pattern: "POST /v3/phone-numbers", access: adminOrStandard, handle: reserveNumber},
	{pattern: "DELETE /v3/phone-numbers/reserved/{number_id}", access: adminOrStandard, handle: releaseNumber},
}

// Number states. An inventory number is one Convirza holds that no org unit
// has reserved: searches offer it with its number_id.
const (
	numberAvailable   = "available"
	numberReserved    = "reserved"
	numberProvisioned = "provisioned"
)

// Number types as the API writes them.
const (
	typeLocal    = "local"
	typeTollFree = "tollfree"
)

// Source codes of search results, echoed back on reserve. The API calls them
// opaque; these are the values of Convirza's public V2 guide.
const (
	SourceInventory int64 = 10001 // a number of Convirza's inventory (number_id set)
	SourceCarrier   int64 = 20002 // a carrier number Convirza does not hold yet (number_id null)
)

// Seeded phone numbers (ids of number records) and the seeded carrier
// catalogue. Apart from the docs' example number, numbers use the
// 555-01XX range reserved for fiction.
const (
	// InventoryNumberID is an inventory number in Salt Lake City, UT
	// (8015550142): searches return it with this number_id.
	InventoryNumberID int64 = 7001
	// AcmeProvisionedNumberID is Acme's main line (9482013920, the docs'
	// example number), held by the account root and used by route
	// AcmeRouteID.
	AcmeProvisionedNumberID int64 = 7101
	// SalesReservedNumberID is a number Sales Division reserved
	// (2125550141), with no route yet.
	SalesReservedNumberID int64 = 7102
	// SupportTollFreeNumberID is a toll-free number Support Division
	// reserved (8885550150), with no route yet.
	SupportTollFreeNumberID int64 = 7103
	// OtherAccountNumberID is Globex's line (2135550190), outside every Acme
	// user's scope.
	OtherAccountNumberID int64 = 7201

	// CarrierNumber is a carrier number of the seeded catalogue, in Salt Lake
	// City, UT: searches return it with number_id null until someone reserves it.
	CarrierNumber = "8015550123"
)

// phoneNumber is a number Convirza holds: in inventory (OrgUnitID nil), or
// reserved or provisioned by an org unit. Carrier numbers become records
// when they are reserved, and stay in inventory once released.
type phoneNumber struct {
	ID         int64  `json:"id"`
	Number     string `json:"number"` // 10 digits, no +1
	Type       string `json:"number_type"`
	State      string `json:"state"` // two letters; "" for toll-free numbers
	RateCenter string `json:"rate_center"`
	Status     string `json:"status"`      // available, reserved or provisioned
	OrgUnitID  *int64 `json:"org_unit_id"` // the holder; nil in inventory
	RouteID    *int64 `json:"route_id"`    // set while provisioned
}

// carrierNumber is an entry of the carrier catalogue: numbers a carrier
// offers that Convirza does not hold.
type carrierNumber struct {
	number, typ, state, rc string
}

// carrierCatalogue is fixed; a number of it that has a record (reserved
// once) is no longer offered as a carrier number.
var carrierCatalogue = []carrierNumber{
	{CarrierNumber, typeLocal, "UT", "SALT LAKE CITY"},
	{"8015550199", typeLocal, "UT", "OGDEN"},
	{"3855550110", typeLocal, "UT", "PROVO"},
	{"2125550177", typeLocal, "NY", "NEW YORK"},
	{"6465550134", typeLocal, "NY", "NEW YORK"},
	{"3125550148", typeLocal, "IL", "CHICAGO"},
	{"8005550166", typeTollFree, "", ""},
	{"8775550152", typeTollFree, "", ""},
}

func seedNumbers(s *state) {
	add := func(id int64, number, typ, st, rc, status string, ou int64) {
		n := &phoneNumber{ID: id, Number: number, Type: typ, State: st, RateCenter: rc, Status: status}
		if ou != 0 {
			n.OrgUnitID = ptr(ou)
		}
		s.PhoneNumbers[id] = n
	}
	add(InventoryNumberID, "8015550142", typeLocal, "UT", "SALT LAKE CITY", numberAvailable, 0)
	add(7002, "8015550187", typeLocal, "UT", "PROVO", numberAvailable, 0)
	add(7003, "2125550163", typeLocal, "NY", "NEW YORK", numberAvailable, 0)
	add(7004, "8885550119", typeTollFree, "", "", numberAvailable, 0)
	add(AcmeProvisionedNumberID, "9482013920", typeLocal, "VA", "NORFOLK", numberReserved, AccountOrgUnitID)
	add(SalesReservedNumberID, "2125550141", typeLocal, "NY", "NEW YORK", numberReserved, SalesOrgUnitID)
	add(SupportTollFreeNumberID, "8885550150", typeTollFree, "", "", numberReserved, SupportOrgUnitID)
	add(OtherAccountNumberID, "2135550190", typeLocal, "CA", "LOS ANGELES", numberReserved, OtherAccountOrgUnitID)
	// Routes and broadcasts refer to numbers, so they are seeded here, after
	// them, whatever order the areas register in.
	seedRoutes(s)
	seedBroadcasts(s)
}

// ownedNumber is the owned number object of Assigned and Provisioned
// Numbers, and of the reserve reply.
type ownedNumber struct {
	ID        int64  `json:"phone_number_id"`
	Number    string `json:"phone_number"`
	Type      string `json:"number_type"`
	OrgUnitID int64  `json:"org_unit_id"`
	Status    string `json:"number_status"`
	RouteID   *int64 `json:"provisioned_route_id"`
}

func (n *phoneNumber) owned() ownedNumber {
	o := ownedNumber{ID: n.ID, Number: n.Number, Type: n.Type, Status: n.Status, RouteID: n.RouteID}
	if n.OrgUnitID != nil {
		o.OrgUnitID = *n.OrgUnitID
	}
	return o
}

// heldNumber returns the number with that id when it is reserved or
// provisioned by an org unit in the caller's scope, and nil otherwise.
func (c *call) heldNumber(id int64) *phoneNumber {
	n := c.st.PhoneNumbers[id]
	if n == nil || n.Status == numberAvailable || n.OrgUnitID == nil || !c.inScope(*n.OrgUnitID) {
		return nil
	}
	return n
}

// listAssignedNumbers is GET /v3/phone-numbers/assigned: the reserved and
// provisioned numbers of org_unit_id and its sub-groups.
func listAssignedNumbers(c *call) (any, *apiError) {
	q := c.query()
	typ := q.enum("number_type", "", typeLocal, typeTollFree)
	return c.listOwnedNumbers(q, func(n *phoneNumber) bool { return typ == "" || n.Type == typ })
}

// listProvisionedNumbers is GET /v3/phone-numbers/provisioned: the numbers
// attached to a route.
func listProvisionedNumbers(c *call) (any, *apiError) {
	return c.listOwnedNumbers(c.query(), func(n *phoneNumber) bool { return n.Status == numberProvisioned })
}

func (c *call) listOwnedNumbers(q *query, keep func(*phoneNumber) bool) (any, *apiError) {
	limit, offset := q.paging(100)
	ouID, err := c.listOrgUnit(q)
	if err != nil {
		return nil, err
	}
	found := filter(c.st.PhoneNumbers, func(n *phoneNumber) bool {
		return n.Status != numberAvailable && n.OrgUnitID != nil && c.st.within(ouID, *n.OrgUnitID) && keep(n)
	})
	byID := func(a, b *phoneNumber) int { return cmp.Compare(a.ID, b.ID) }
	return listReply("numbers", found, byID, limit, offset, (*phoneNumber).owned), nil
}

// candidate is an Available Numbers item.
type candidate struct {
	NumberID *int64 `json:"number_id"`
	Number   string `json:"number"`
	Source   int64  `json:"source"`
	Type     string `json:"number_type"`
}

// searchNumbers is GET /v3/phone-numbers/available: inventory numbers first,
// then carrier numbers, each sorted by number; never a reserved or
// provisioned one. There is no offset.
func searchNumbers(c *call) (any, *apiError) {
	q := c.query()
	match, st, rc := q.str("match"), strings.ToUpper(q.str("state")), q.str("rc")
	typ := q.enum("number_type", typeLocal, typeLocal, typeTollFree)
	limit := int(q.int("limit", 20, 1, 200))
	switch { // N4
	case match != "" && (st != "" || rc != ""):
		q.errs = append(q.errs, fieldError{"match", "cannot be combined with state or rc"})
	case rc != "" && st == "":
		q.errs = append(q.errs, fieldError{"rc", "needs state"})
	}
	if match != "" && strings.Trim(match, "0123456789*") != "" {
		q.errs = append(q.errs, fieldError{"match", "must hold digits and *"})
	}
	if st != "" && (len(st) != 2 || strings.Trim(st, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		q.errs = append(q.errs, fieldError{"state", "must be a two-letter state code"})
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	fits := func(number, ntyp, nst, nrc string) bool {
		return ntyp == typ && matchDigits(match, number) &&
			(st == "" || nst == st) && (rc == "" || strings.EqualFold(nrc, rc))
	}

	var inv []*phoneNumber
	held := map[string]bool{}
	for _, n := range c.st.PhoneNumbers {
		held[n.Number] = true
		if n.Status == numberAvailable && fits(n.Number, n.Type, n.State, n.RateCenter) {
			inv = append(inv, n)
		}
	}
	slices.SortFunc(inv, func(a, b *phoneNumber) int { return cmp.Compare(a.Number, b.Number) })
	found := []candidate{}
	for _, n := range inv {
		found = append(found, candidate{NumberID: ptr(n.ID), Number: n.Number, Source: SourceInventory, Type: n.Type})
	}
	for _, cn := range sortedCatalogue() {
		if !held[cn.number] && fits(cn.number, cn.typ, cn.state, cn.rc) {
			found = append(found, candidate{Number: cn.number, Source: SourceCarrier, Type: cn.typ})
		}
	}
	found = found[:min(len(found), limit)]
	return map[string]any{"numbers": found, "total": len(found)}, nil
}

func sortedCatalogue() []carrierNumber {
	return slices.SortedFunc(slices.Values(carrierCatalogue), func(a, b carrierNumber) int { return cmp.Compare(a.number, b.number) })
}

// matchDigits applies a match pattern: "801*" is a prefix (and "*" any run
// of digits elsewhere); a pattern without "*" may appear anywhere.
func matchDigits(pattern, number string) bool {
	if pattern == "" {
		return true
	}
	if !strings.Contains(pattern, "*") {
		return strings.Contains(number, pattern)
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(number, parts[0]) {
		return false
	}
	rest := number[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, last) && len(rest) >= len(last)
}

// reserveNumber is POST /v3/phone-numbers. The candidate's number_id (null
// for a carrier number), number and source must come back unchanged (N1);
// a number already reserved or provisioned is 409 (N2).
func reserveNumber(c *call) (any, *apiError) {
	o, err := c.object()
	if err != nil {
		return nil, err
	}
	var id int64
	carrier := o.isNull("number_id")
	switch {
	case !o.has("number_id"):
		o.fail("number_id", "is required (null for a carrier number)")
	case !carrier:
		var ok bool
		if id, ok = o.int("number_id"); ok && id <= 0 {
			o.fail("number_id", "must be a positive integer or null")
		}
	}
	number, _ := o.text("number")
	source, _ := o.int("source")
	ouID, _ := o.int("org_unit_id")
	for _, name := range []string{"source", "org_unit_id"} {
		if !o.has(name) || o.isNull(name) {
			o.fail(name, "is required")
		}
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if !c.seesOrgUnit(ouID) {
		return nil, invalid(fieldError{"org_unit_id", orgUnitUnseen})
	}

	var n *phoneNumber
	if carrier {
		if source != SourceCarrier {
			return nil, invalid(fieldError{"source", "is not the source of a carrier number"})
		}
		n = c.st.numberByDigits(number)
		if n == nil {
			cn, ok := catalogueEntry(number)
			if !ok {
				return nil, invalid(fieldError{"number", "is not offered by any carrier"})
			}
			n = &phoneNumber{ID: c.st.newID(), Number: cn.number, Type: cn.typ, State: cn.state, RateCenter: cn.rc, Status: numberAvailable}
			c.st.PhoneNumbers[n.ID] = n
		}
	} else {
		n = c.st.PhoneNumbers[id]
		switch {
		case source != SourceInventory:
			return nil, invalid(fieldError{"source", "is not the source of an inventory number"})
		case n == nil || n.Number != number:
			return nil, invalid(fieldError{"number_id", "does not match number"})
		}
	}
	if n.Status != numberAvailable {
		return nil, errorf(http.StatusConflict, "Number %s is already %s", n.Number, n.Status)
	}
	n.Status, n.OrgUnitID = numberReserved, ptr(ouID)
	return map[string]any{"number": n.owned()}, nil
}

func (s *state) numberByDigits(number string) *phoneNumber {
	for _, n := range s.PhoneNumbers {
		if n.Number == number {
			return n
		}
	}
	return nil
}

func catalogueEntry(number string) (carrierNumber, bool) {
	i := slices.IndexFunc(carrierCatalogue, func(cn carrierNumber) bool { return cn.number == number })
	if i < 0 {
		return carrierNumber{}, false
	}
	return carrierCatalogue[i], true
}

// releaseNumber is DELETE /v3/phone-numbers/reserved/{number_id}: the number
// goes back to inventory. A number the caller's hierarchy does not hold,
// released ones included, is 404; a provisioned one is 409 (N3).
func releaseNumber(c *call) (any, *apiError) {
	id, err := c.pathID("number_id")
	if err != nil {
		return nil, err
	}
	n := c.heldNumber(id)
	if n == nil {
		return nil, notFound("Number")
	}
	if n.Status == numberProvisioned {
		return nil, errorf(http.StatusConflict, "Number %s has a provisioned route; delete the route first", n.Number)
	}
	n.Status, n.OrgUnitID, n.RouteID = numberAvailable, nil, nil
	return map[string]int64{"numberId": n.ID}, nil
}
