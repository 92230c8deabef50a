package convirza

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
)

// Paths of the Phone Numbers operations.
const (
	numbersPath            = "/phone-numbers"
	numbersAssignedPath    = "/phone-numbers/assigned"
	numbersProvisionedPath = "/phone-numbers/provisioned"
	numbersAvailablePath   = "/phone-numbers/available"
	numberReservedPath     = "/phone-numbers/reserved/%v"
)

// Page sizes of the Phone Numbers lists: the owned-number lists page like
// every other list; a search returns at most one batch of candidates.
const (
	numbersDefaultLimit   = 100
	availableDefaultLimit = 20
)

// PhoneNumbersService searches, reserves and releases tracking numbers.
//
// A number's life: Available finds candidates, Reserve takes one of them
// for an org unit (it becomes "reserved"), RoutesService.Create attaches a
// route to it (it becomes "provisioned"), and Release gives a reserved
// number up. A provisioned number must lose its route before it can be
// released. Admin and Standard users may write; ReadOnly users only read.
type PhoneNumbersService struct{ c *Client }

// NumberType is the kind of a phone number. Unknown values are kept as sent.
type NumberType string

// The number types.
const (
	NumberLocal    NumberType = "local"
	NumberTollFree NumberType = "tollfree"
)

// UnmarshalJSON reads the spellings of toll-free the API may use
// ("toll-free", "tollfree") as NumberTollFree, and keeps any other value as
// sent.
func (t *NumberType) UnmarshalJSON(b []byte) error {
	s := scalarText(b)
	folded := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	if folded == string(NumberTollFree) {
		s = string(NumberTollFree)
	}
	*t = NumberType(s)
	return nil
}

// NumberStatus is the state of a number the account holds. Unknown values
// are kept as sent.
type NumberStatus string

// The statuses of an owned number.
const (
	// NumberReserved is a number held by an org unit with no route yet.
	NumberReserved NumberStatus = "reserved"
	// NumberProvisioned is a number attached to a provisioned route.
	NumberProvisioned NumberStatus = "provisioned"
)

// PhoneNumber is a number the account holds, as Assigned and Provisioned
// list it and as Reserve returns it. Its ID is the one Release and
// RoutesService.Create take.
type PhoneNumber struct {
	ID int64 `json:"phone_number_id"`
	// Number is the number as the API writes it (10 digits, no +1); it is
	// never normalised.
	Number    string       `json:"phone_number"`
	Type      NumberType   `json:"number_type"`
	OrgUnitID int64        `json:"org_unit_id"`
	Status    NumberStatus `json:"number_status"`
	// RouteID is the provisioned route using the number, nil while it is
	// only reserved.
	RouteID *int64 `json:"provisioned_route_id"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (n *PhoneNumber) UnmarshalJSON(b []byte) error {
	type alias PhoneNumber
	return decodeModel(b, (*alias)(n), &n.Raw)
}

// AvailableNumber is a candidate found by Available. Reserve it by sending
// its NumberID, Number and Source back unchanged: ReserveParams does that.
type AvailableNumber struct {
	// NumberID is nil for a carrier number that Convirza does not hold yet,
	// and set for a number of Convirza's inventory. Both can be reserved.
	NumberID *int64 `json:"number_id"`
	Number   string `json:"number"`
	// Source is an opaque code that must be echoed back on Reserve.
	Source int64      `json:"source"`
	Type   NumberType `json:"number_type"`

	// Raw is the object as the server sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (n *AvailableNumber) UnmarshalJSON(b []byte) error {
	type alias AvailableNumber
	return decodeModel(b, (*alias)(n), &n.Raw)
}

// IsCarrier reports whether the candidate is a carrier number (its
// NumberID is null). Carrier numbers are as valid a choice as inventory
// numbers.
func (n AvailableNumber) IsCarrier() bool { return n.NumberID == nil }

// ReserveParams returns the Reserve params that take this candidate for the
// org unit orgUnitID: its number_id (null for a carrier number), number and
// source, unchanged.
func (n AvailableNumber) ReserveParams(orgUnitID int64) *ReserveNumberParams {
	p := &ReserveNumberParams{Number: n.Number, Source: n.Source, OrgUnitID: orgUnitID}
	if n.NumberID != nil {
		id := *n.NumberID
		p.NumberID = &id
	}
	return p
}

// ListAssignedNumbersParams filters Assigned. The zero value lists the
// numbers of the caller's org unit and of every unit below it.
type ListAssignedNumbersParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64      `url:"org_unit_id,omitempty"`
	Type      NumberType `url:"number_type,omitempty"`
}

// ListProvisionedNumbersParams filters Provisioned. The zero value lists the
// provisioned numbers of the caller's org unit and of every unit below it.
type ListProvisionedNumbersParams struct {
	PageParams
	// OrgUnitID lists this org unit and its sub-groups (default: the caller's).
	OrgUnitID int64 `url:"org_unit_id,omitempty"`
}

// Assigned returns one page (100 by default) of the numbers the org unit
// holds, reserved and provisioned.
//
// Convirza API: GET /phone-numbers/assigned
func (s *PhoneNumbersService) Assigned(ctx context.Context, params *ListAssignedNumbersParams, opts ...RequestOption) (*Page[PhoneNumber], error) {
	return listPage[PhoneNumber, numberList](ctx, s.c, numbersAssignedPath, params, numbersDefaultLimit, opts)
}

// AllAssigned returns every number that Assigned lists for params, fetching
// pages as the loop goes. It stops at the first error, which it yields.
func (s *PhoneNumbersService) AllAssigned(ctx context.Context, params *ListAssignedNumbersParams, opts ...RequestOption) iter.Seq2[PhoneNumber, error] {
	return all(ctx, params, func(ctx context.Context, p *ListAssignedNumbersParams) (*Page[PhoneNumber], error) {
		return s.Assigned(ctx, p, opts...)
	})
}

// Provisioned returns one page (100 by default) of the numbers attached to
// a provisioned route.
//
// Convirza API: GET /phone-numbers/provisioned
func (s *PhoneNumbersService) Provisioned(ctx context.Context, params *ListProvisionedNumbersParams, opts ...RequestOption) (*Page[PhoneNumber], error) {
	return listPage[PhoneNumber, numberList](ctx, s.c, numbersProvisionedPath, params, numbersDefaultLimit, opts)
}

// AllProvisioned returns every number that Provisioned lists for params,
// fetching pages as the loop goes. It stops at the first error, which it
// yields.
func (s *PhoneNumbersService) AllProvisioned(ctx context.Context, params *ListProvisionedNumbersParams, opts ...RequestOption) iter.Seq2[PhoneNumber, error] {
	return all(ctx, params, func(ctx context.Context, p *ListProvisionedNumbersParams) (*Page[PhoneNumber], error) {
		return s.Provisioned(ctx, p, opts...)
	})
}

// SearchNumbersParams is an Available search: either by Match, or by State
// (and optionally RateCenter), never both. The zero value searches local
// numbers anywhere.
type SearchNumbersParams struct {
	// Match is a digit pattern: "801*" is area code 801; without "*" the
	// digits may appear anywhere in the number.
	Match string `url:"match,omitempty"`
	// State is a two-letter state code, such as "UT".
	State string `url:"state,omitempty"`
	// RateCenter narrows a State search to one rate center; it needs State.
	RateCenter string `url:"rc,omitempty"`
	// Type is NumberLocal (the server's default) or NumberTollFree.
	Type NumberType `url:"number_type,omitempty"`
	// Limit is the number of candidates, 1..200; zero sends 20. A search
	// has no offset.
	Limit int `url:"limit"`
}

func (p *SearchNumbersParams) validate() error {
	if p.Match != "" && (p.State != "" || p.RateCenter != "") {
		return invalidf("a number search takes Match or State/RateCenter, not both")
	}
	if p.RateCenter != "" && p.State == "" {
		return invalidf("a number search by RateCenter needs State")
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return invalidf("limit must be between 1 and %d, got %d", MaxLimit, p.Limit)
	}
	return nil
}

// Available searches numbers that can be reserved. Numbers already reserved
// or provisioned are never returned. The result keeps carrier numbers
// (NumberID nil) beside inventory ones: both can be reserved.
//
// Convirza API: GET /phone-numbers/available
func (s *PhoneNumbersService) Available(ctx context.Context, params *SearchNumbersParams, opts ...RequestOption) ([]AvailableNumber, error) {
	var p SearchNumbersParams
	if params != nil {
		p = *params
	}
	if p.Limit == 0 {
		p.Limit = availableDefaultLimit
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return listAll[AvailableNumber, availableList](ctx, s.c, numbersAvailablePath, &p, opts)
}

// ReserveNumberParams reserves one candidate of Available for an org unit.
// NumberID, Number and Source must be the candidate's, unchanged; build
// them with AvailableNumber.ReserveParams.
type ReserveNumberParams struct {
	// NumberID is the candidate's number_id: nil is sent as null, which is
	// right for a carrier number.
	NumberID *int64 `json:"number_id"`
	Number   string `json:"number"`
	Source   int64  `json:"source"`
	// OrgUnitID is the group that will hold the number, inside the caller's
	// hierarchy.
	OrgUnitID int64 `json:"org_unit_id"`
}

func (p *ReserveNumberParams) validate() error {
	if p == nil {
		return invalidf("reserve params are required")
	}
	var missing []string
	if strings.TrimSpace(p.Number) == "" {
		missing = append(missing, "Number")
	}
	if p.Source == 0 {
		missing = append(missing, "Source")
	}
	if p.OrgUnitID <= 0 {
		missing = append(missing, "OrgUnitID")
	}
	if len(missing) > 0 {
		return invalidf("reserving a number needs %s", strings.Join(missing, ", "))
	}
	if p.NumberID != nil && *p.NumberID <= 0 {
		return invalidf("number id must be positive or nil (a carrier number), got %d", *p.NumberID)
	}
	return nil
}

// reservation is the data of a Reserve answer: the number under "number",
// or its id at the top as "phoneNumberId".
type reservation struct {
	Number        *PhoneNumber `json:"number"`
	PhoneNumberID int64        `json:"phoneNumberId"`
	PhoneNumber   string       `json:"phoneNumber"`

	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly and keeps the raw object in Raw.
func (r *reservation) UnmarshalJSON(b []byte) error {
	type alias reservation
	return decodeModel(b, (*alias)(r), &r.Raw)
}

// number returns the reserved number, completed from params where the
// answer is silent: the answer documents only the id and the number.
func (r *reservation) number(params *ReserveNumberParams) *PhoneNumber {
	n := r.Number
	if n == nil || n.ID == 0 {
		n = &PhoneNumber{ID: r.PhoneNumberID, Number: r.PhoneNumber, Raw: r.Raw}
	}
	if n.Number == "" {
		n.Number = params.Number
	}
	if n.OrgUnitID == 0 {
		n.OrgUnitID = params.OrgUnitID
	}
	if n.Status == "" {
		n.Status = NumberReserved
	}
	return n
}

// Reserve reserves a number found by Available for an org unit, and returns
// it with the ID that RoutesService.Create and Release take. The answer
// documents only the id and the number; the number, org unit and status it
// leaves out are filled from params. A number already reserved or
// provisioned is an error matching ErrConflict.
//
//	found, _ := client.PhoneNumbers.Available(ctx, &convirza.SearchNumbersParams{Match: "801*"})
//	num, err := client.PhoneNumbers.Reserve(ctx, found[0].ReserveParams(orgUnitID))
//
// Convirza API: POST /phone-numbers
func (s *PhoneNumbersService) Reserve(ctx context.Context, params *ReserveNumberParams, opts ...RequestOption) (*PhoneNumber, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	r, err := call[reservation](ctx, s.c, &request{method: http.MethodPost, path: numbersPath, body: params}, opts)
	if err != nil {
		return nil, err
	}
	return r.number(params), nil
}

// Release gives up a reserved number; id is its PhoneNumber.ID. A number
// with a route is an error matching ErrConflict: delete the route first.
//
// Convirza API: DELETE /phone-numbers/reserved/{number_id}
func (s *PhoneNumbersService) Release(ctx context.Context, id int64, opts ...RequestOption) error {
	return deleteByID(ctx, s.c, "number", numberReservedPath, id, opts)
}

// numberList is the data of a list of PhoneNumber records: the items under "numbers".
type numberList struct {
	Numbers []PhoneNumber `json:"numbers"`
	Total   int           `json:"total"`
}

func (l *numberList) page() ([]PhoneNumber, int) { return l.Numbers, l.Total }

// availableList is the data of a list of AvailableNumber records: the items under "numbers".
type availableList struct {
	Numbers []AvailableNumber `json:"numbers"`
	Total   int               `json:"total"`
}

func (l *availableList) page() ([]AvailableNumber, int) { return l.Numbers, l.Total }
