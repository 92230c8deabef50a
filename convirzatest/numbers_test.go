package convirzatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// wireCandidate is an Available Numbers item as the wire has it.
type wireCandidate struct {
	NumberID *int64 `json:"number_id"`
	Number   string `json:"number"`
	Source   int64  `json:"source"`
	Type     string `json:"number_type"`
}

// wireOwned is an owned number as the wire has it.
type wireOwned struct {
	ID        int64  `json:"phone_number_id"`
	Number    string `json:"phone_number"`
	Type      string `json:"number_type"`
	OrgUnitID int64  `json:"org_unit_id"`
	Status    string `json:"number_status"`
	RouteID   *int64 `json:"provisioned_route_id"`
}

// search runs Available Numbers with the query and returns the candidates.
func search(t *testing.T, s *Server, tok, query string) []wireCandidate {
	t.Helper()
	numbers, total := listPage[wireCandidate](t, s, tok, "/phone-numbers/available?"+query, "numbers")
	if total != len(numbers) {
		t.Fatalf("search %q: total %d for %d numbers", query, total, len(numbers))
	}
	return numbers
}

func digits(cs []wireCandidate) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Number)
	}
	return out
}

// owned lists Assigned or Provisioned Numbers and returns the items and total.
func owned(t *testing.T, s *Server, tok, which, query string) ([]wireOwned, int) {
	t.Helper()
	return listPage[wireOwned](t, s, tok, "/phone-numbers/"+which+"?"+query, "numbers")
}

func ownedIDs(ns []wireOwned) []int64 {
	out := []int64{}
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

// reserve posts a reserve body and returns the reply.
func reserve(t *testing.T, s *Server, tok string, numberID any, number string, source, ou int64) reply {
	t.Helper()
	return send(t, "POST", s.URL+"/phone-numbers", tok, map[string]any{
		"number_id": numberID, "number": number, "source": source, "org_unit_id": ou,
	})
}

// reserved decodes a successful reserve reply.
func reserved(t *testing.T, r reply) wireOwned {
	t.Helper()
	r.want(t, http.StatusOK)
	var d struct {
		Number *wireOwned `json:"number"`
	}
	r.data(t, &d)
	if d.Number == nil || d.Number.ID == 0 {
		t.Fatalf("no number in %s", r.env.Data)
	}
	return *d.Number
}

func TestSearchNumbers(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	r := send(t, "GET", s.URL+"/phone-numbers/available?match=801*", tok, nil).want(t, http.StatusOK)
	checkEnvelope(t, r)
	// Inventory first, then carrier numbers, each sorted; carriers have a
	// null number_id on the wire.
	if !strings.Contains(string(r.env.Data), `{"number_id":null,"number":"8015550123","source":20002,"number_type":"local"}`) {
		t.Errorf("carrier number not as documented: %s", r.env.Data)
	}
	got := search(t, s, tok, "match=801*")
	if want := []string{"8015550142", "8015550187", CarrierNumber, "8015550199"}; !slices.Equal(digits(got), want) {
		t.Fatalf("match=801*: %v, want %v", digits(got), want)
	}
	if got[0].NumberID == nil || *got[0].NumberID != InventoryNumberID || got[0].Source != SourceInventory {
		t.Errorf("inventory candidate %+v", got[0])
	}
	if got[2].NumberID != nil || got[2].Source != SourceCarrier || got[2].Type != "local" {
		t.Errorf("carrier candidate %+v", got[2])
	}

	for query, want := range map[string][]string{
		"match=801*&limit=2":               {"8015550142", "8015550187"},
		"match=0123":                       {CarrierNumber},
		"match=*0110":                      {"3855550110"},
		"match=3*555*10":                   {"3855550110"},
		"match=212":                        {"2125550163", "2125550177"}, // 2125550141 is held
		"state=UT":                         {"8015550142", "8015550187", "3855550110", CarrierNumber, "8015550199"},
		"state=ut&rc=provo":                {"8015550187", "3855550110"},
		"state=NY&rc=NEW%20YORK":           {"2125550163", "2125550177", "6465550134"},
		"number_type=tollfree":             {"8885550119", "8005550166", "8775550152"},
		"number_type=tollfree&state=UT":    {},
		"state=TX":                         {},
		"match=801*&number_type=local&x=1": {"8015550142", "8015550187", CarrierNumber, "8015550199"},
	} {
		if got := digits(search(t, s, tok, query)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	if n := len(search(t, s, tok, "")); n != 9 {
		t.Errorf("default search: %d local numbers, want 9", n)
	}
}

func TestSearchNumbersBadParams(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, StandardEmail)
	for query, field := range map[string]string{
		"match=801*&state=UT":   "match",
		"match=801*&rc=PROVO":   "match",
		"rc=PROVO":              "rc",
		"limit=0":               "limit",
		"limit=201":             "limit",
		"number_type=mobile":    "number_type",
		"number_type=toll-free": "number_type",
		"state=Utah":            "state",
		"match=80a":             "match",
	} {
		send(t, "GET", s.URL+"/phone-numbers/available?"+query, tok, nil).wantField(t, field)
	}
}

func TestReserveAndReleaseNumbers(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	// A carrier number: number_id null. It gets an id and leaves the search.
	n := reserved(t, reserve(t, s, tok, nil, CarrierNumber, SourceCarrier, SalesOrgUnitID))
	if n.ID < firstUserID || n.Number != CarrierNumber || n.Status != "reserved" || n.OrgUnitID != SalesOrgUnitID || n.RouteID != nil || n.Type != "local" {
		t.Fatalf("reserved carrier number %+v", n)
	}
	if slices.Contains(digits(search(t, s, tok, "state=UT")), CarrierNumber) {
		t.Error("a reserved number is still offered")
	}
	items, _ := owned(t, s, tok, "assigned", "org_unit_id=1002")
	if !slices.Contains(ownedIDs(items), n.ID) {
		t.Errorf("assigned %v lacks %d", ownedIDs(items), n.ID)
	}
	// Reserving it again, either way, is a conflict (N2).
	reserve(t, s, tok, nil, CarrierNumber, SourceCarrier, SalesOrgUnitID).want(t, http.StatusConflict)
	reserve(t, s, tok, n.ID, CarrierNumber, SourceInventory, AccountOrgUnitID).want(t, http.StatusConflict)

	// An inventory number keeps its id.
	inv := reserved(t, reserve(t, s, tok, InventoryNumberID, "8015550142", SourceInventory, AccountOrgUnitID))
	if inv.ID != InventoryNumberID || inv.OrgUnitID != AccountOrgUnitID {
		t.Fatalf("reserved inventory number %+v", inv)
	}
	r := reserve(t, s, tok, InventoryNumberID, "8015550142", SourceInventory, AccountOrgUnitID).want(t, http.StatusConflict)
	checkEnvelope(t, r)
	if r.env.Message != "Number 8015550142 is already reserved" {
		t.Errorf("message %q", r.env.Message)
	}

	// Release: back to inventory, offered again with its id; a second
	// release is 404.
	r = send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, n.ID), tok, nil).want(t, http.StatusOK)
	var d map[string]int64
	r.data(t, &d)
	if d["numberId"] != n.ID {
		t.Errorf("release reply %s", r.env.Data)
	}
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, n.ID), tok, nil).want(t, http.StatusNotFound)
	i := slices.IndexFunc(search(t, s, tok, "state=UT"), func(c wireCandidate) bool { return c.Number == CarrierNumber })
	if i < 0 {
		t.Fatal("a released number is not offered again")
	}
	if c := search(t, s, tok, "state=UT")[i]; c.NumberID == nil || *c.NumberID != n.ID || c.Source != SourceInventory {
		t.Errorf("released carrier number is now inventory: %+v", c)
	}
	items, _ = owned(t, s, tok, "assigned", "")
	if slices.Contains(ownedIDs(items), n.ID) {
		t.Error("a released number is still assigned")
	}
	// Once in inventory, a stale carrier triple still reserves it.
	if again := reserved(t, reserve(t, s, tok, nil, CarrierNumber, SourceCarrier, SalesOrgUnitID)); again.ID != n.ID {
		t.Errorf("re-reserved as %d, want %d", again.ID, n.ID)
	}
}

func TestReserveNumberInvalid(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	url := s.URL + "/phone-numbers"
	for name, c := range map[string]struct {
		body  any
		field string
	}{
		"not an object":     {`[1]`, "body"},
		"no number_id":      {map[string]any{"number": CarrierNumber, "source": SourceCarrier, "org_unit_id": 1001}, "number_id"},
		"number_id 0":       {map[string]any{"number_id": 0, "number": "8015550142", "source": SourceInventory, "org_unit_id": 1001}, "number_id"},
		"number_id string":  {map[string]any{"number_id": "7001", "number": "8015550142", "source": SourceInventory, "org_unit_id": 1001}, "number_id"},
		"no number":         {map[string]any{"number_id": nil, "source": SourceCarrier, "org_unit_id": 1001}, "number"},
		"no source":         {map[string]any{"number_id": nil, "number": CarrierNumber, "org_unit_id": 1001}, "source"},
		"no org unit":       {map[string]any{"number_id": nil, "number": CarrierNumber, "source": SourceCarrier}, "org_unit_id"},
		"org unit unknown":  {map[string]any{"number_id": nil, "number": CarrierNumber, "source": SourceCarrier, "org_unit_id": 999999}, "org_unit_id"},
		"org unit Globex":   {map[string]any{"number_id": nil, "number": CarrierNumber, "source": SourceCarrier, "org_unit_id": OtherAccountOrgUnitID}, "org_unit_id"},
		"carrier source":    {map[string]any{"number_id": nil, "number": CarrierNumber, "source": SourceInventory, "org_unit_id": 1001}, "source"},
		"unknown carrier":   {map[string]any{"number_id": nil, "number": "9995550100", "source": SourceCarrier, "org_unit_id": 1001}, "number"},
		"inventory source":  {map[string]any{"number_id": InventoryNumberID, "number": "8015550142", "source": SourceCarrier, "org_unit_id": 1001}, "source"},
		"id/number differ":  {map[string]any{"number_id": InventoryNumberID, "number": "8015550187", "source": SourceInventory, "org_unit_id": 1001}, "number_id"},
		"id does not exist": {map[string]any{"number_id": 777777, "number": "8015550142", "source": SourceInventory, "org_unit_id": 1001}, "number_id"},
	} {
		t.Run(name, func(t *testing.T) { send(t, "POST", url, tok, c.body).wantField(t, c.field) })
	}
	// Nothing was reserved along the way.
	if got := len(search(t, s, tok, "match=801*")); got != 4 {
		t.Errorf("%d candidates left, want 4", got)
	}
}

func TestReleaseNumberRules(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	url := func(id any) string { return fmt.Sprintf("%s/phone-numbers/reserved/%v", s.URL, id) }
	// N3: a provisioned number must lose its route first.
	r := send(t, "DELETE", url(AcmeProvisionedNumberID), tok, nil).want(t, http.StatusConflict)
	if !strings.Contains(r.env.Message, "delete the route first") {
		t.Errorf("message %q", r.env.Message)
	}
	send(t, "DELETE", url(OtherAccountNumberID), tok, nil).want(t, http.StatusNotFound) // another account's
	send(t, "DELETE", url(InventoryNumberID), tok, nil).want(t, http.StatusNotFound)    // held by nobody
	send(t, "DELETE", url(424242), tok, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", url("abc"), tok, nil).wantField(t, "number_id")
	send(t, "DELETE", url(SalesReservedNumberID), tok, nil).want(t, http.StatusOK)
	items, total := owned(t, s, tok, "assigned", "")
	if want := []int64{AcmeProvisionedNumberID, SupportTollFreeNumberID}; !slices.Equal(ownedIDs(items), want) || total != 2 {
		t.Errorf("assigned after release %v (%d), want %v", ownedIDs(items), total, want)
	}
}

func TestAssignedAndProvisionedNumbers(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)

	r := send(t, "GET", s.URL+"/phone-numbers/assigned", tok, nil).want(t, http.StatusOK)
	var raw struct {
		Numbers []map[string]any `json:"numbers"`
	}
	r.data(t, &raw)
	want := []string{"number_status", "number_type", "org_unit_id", "phone_number", "phone_number_id", "provisioned_route_id"}
	for _, m := range raw.Numbers {
		if got := keys(m); !slices.Equal(got, want) {
			t.Errorf("owned number keys %v, want %v", got, want)
		}
	}

	items, total := owned(t, s, tok, "assigned", "")
	if ids := ownedIDs(items); !slices.Equal(ids, []int64{AcmeProvisionedNumberID, SalesReservedNumberID, SupportTollFreeNumberID}) || total != 3 {
		t.Fatalf("assigned %v (%d)", ids, total)
	}
	if p := items[0]; p.Status != "provisioned" || p.RouteID == nil || *p.RouteID != AcmeRouteID || p.Number != "9482013920" || p.OrgUnitID != AccountOrgUnitID {
		t.Errorf("provisioned number %+v", p)
	}
	if r := items[1]; r.Status != "reserved" || r.RouteID != nil {
		t.Errorf("reserved number %+v", r)
	}
	for query, want := range map[string][]int64{
		"number_type=tollfree":   {SupportTollFreeNumberID},
		"org_unit_id=1002":       {SalesReservedNumberID},
		"org_unit_id=1004":       {},
		"limit=1&offset=1":       {SalesReservedNumberID},
		"limit=2&offset=9":       {},
		"number_type=local&x=ok": {AcmeProvisionedNumberID, SalesReservedNumberID},
	} {
		items, _ := owned(t, s, tok, "assigned", query)
		if !slices.Equal(ownedIDs(items), want) {
			t.Errorf("assigned?%s: %v, want %v", query, ownedIDs(items), want)
		}
	}
	items, total = owned(t, s, tok, "provisioned", "")
	if !slices.Equal(ownedIDs(items), []int64{AcmeProvisionedNumberID}) || total != 1 {
		t.Errorf("provisioned %v (%d)", ownedIDs(items), total)
	}
	for _, which := range []string{"assigned", "provisioned"} {
		send(t, "GET", s.URL+"/phone-numbers/"+which+"?org_unit_id=2001", tok, nil).want(t, http.StatusForbidden)
		send(t, "GET", s.URL+"/phone-numbers/"+which+"?limit=201", tok, nil).wantField(t, "limit")
		send(t, "GET", s.URL+"/phone-numbers/"+which+"?offset=-1", tok, nil).wantField(t, "offset")
	}
	send(t, "GET", s.URL+"/phone-numbers/assigned?number_type=pager", tok, nil).wantField(t, "number_type")
}

func TestNumbersRoles(t *testing.T) {
	s := NewServer(t)
	ro := token(t, s, ReadOnlyEmail)
	// ReadOnly reads but cannot reserve or release (S3).
	search(t, s, ro, "")
	owned(t, s, ro, "assigned", "")
	reserve(t, s, ro, nil, CarrierNumber, SourceCarrier, SupportOrgUnitID).want(t, http.StatusForbidden)
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, SupportTollFreeNumberID), ro, nil).want(t, http.StatusForbidden)

	// Standard may reserve and release (N5), within its own hierarchy.
	std := token(t, s, StandardEmail)
	items, _ := owned(t, s, std, "assigned", "")
	if !slices.Equal(ownedIDs(items), []int64{SalesReservedNumberID}) {
		t.Errorf("Standard sees %v", ownedIDs(items))
	}
	reserve(t, s, std, nil, CarrierNumber, SourceCarrier, AccountOrgUnitID).wantField(t, "org_unit_id")
	n := reserved(t, reserve(t, s, std, nil, CarrierNumber, SourceCarrier, EastCoastSalesOrgUnitID))
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, AcmeProvisionedNumberID), std, nil).want(t, http.StatusNotFound)
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, n.ID), std, nil).want(t, http.StatusOK)
}

func TestNumbersSnapshotRestore(t *testing.T) {
	s := NewServer(t)
	tok := token(t, s, AdminEmail)
	n := reserved(t, reserve(t, s, tok, nil, CarrierNumber, SourceCarrier, SalesOrgUnitID))
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		PhoneNumbers map[string]json.RawMessage `json:"phone_numbers"`
	}
	if err := json.Unmarshal(snap, &st); err != nil || st.PhoneNumbers[fmt.Sprint(n.ID)] == nil {
		t.Fatalf("snapshot lacks number %d: %v", n.ID, err)
	}
	send(t, "DELETE", fmt.Sprintf("%s/phone-numbers/reserved/%d", s.URL, n.ID), tok, nil).want(t, http.StatusOK)
	if err := s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	tok = token(t, s, AdminEmail)
	reserve(t, s, tok, nil, CarrierNumber, SourceCarrier, SalesOrgUnitID).want(t, http.StatusConflict)
}
