package convirza

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sizes of TestLoad.
const (
	loadWorkers   = 64
	loadCalls     = 10_000
	loadUsers     = 1_000 // created with distinct emails, each by one task
	loadDuplicate = 100   // concurrent creates of one email
)

// TestLoad has 64 goroutines share one client for 10,000 mixed calls
// against the fake (run it with -race): every call must succeed but the 99
// creates that lose the race for one email, and the fake's state must be
// exactly what the calls imply.
func TestLoad(t *testing.T) {
	srv := convirzatest.NewServer(t)
	tr := defaultTransport()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := NewClient(WithBaseURL(srv.URL), WithAuthBaseURL(srv.AuthURL),
		WithCredentials(srv.AdminEmail, srv.AdminPassword), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	ctx := context.Background()

	var calls, failures, duplicates, dupCreated atomic.Int64
	var errMu sync.Mutex
	var errs []error
	fail := func(err error) {
		failures.Add(1)
		errMu.Lock()
		defer errMu.Unlock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	// do runs one SDK call and counts it.
	do := func(err error) error {
		calls.Add(1)
		return err
	}

	var tasks []func()
	// One task per new user: create, maybe replace, patch, read, maybe
	// delete and read again.
	for i := range loadUsers {
		tasks = append(tasks, func() {
			email := fmt.Sprintf("load-%04d@acme.example", i)
			created, err := call1(do, func() (*Created, error) {
				return c.Users.Create(ctx, &CreateUserParams{Email: email, FirstName: "New", LastName: "User",
					OrgUnitID: convirzatest.EastCoastSalesOrgUnitID, Role: RoleStandard})
			})
			if err != nil {
				fail(err)
				return
			}
			id := created.ID
			if i%5 == 0 {
				if _, err := call1(do, func() (*User, error) {
					return c.Users.Update(ctx, id, &UpdateUserParams{Email: email, FirstName: "Put",
						LastName: fmt.Sprintf("U-%d", i), OrgUnitID: convirzatest.EastCoastSalesOrgUnitID, Role: RoleStandard})
				}); err != nil {
					fail(err)
				}
			}
			if _, err := call1(do, func() (*User, error) {
				return c.Users.Patch(ctx, id, &PatchUserParams{FirstName: Set(fmt.Sprintf("P-%d", i))})
			}); err != nil {
				fail(err)
			}
			u, err := call1(do, func() (*User, error) { return c.Users.Get(ctx, id) })
			if err != nil || u.FirstName != fmt.Sprintf("P-%d", i) || u.Email != email {
				fail(fmt.Errorf("user %d read back as %+v: %v", id, u, err))
			}
			if i%2 == 0 {
				if err := do(c.Users.Delete(ctx, id)); err != nil {
					fail(err)
				}
				if u, err := call1(do, func() (*User, error) { return c.Users.Get(ctx, id) }); err != nil || u.Status != UserDeleted {
					fail(fmt.Errorf("deleted user %d read back as %+v: %v", id, u, err))
				}
			}
		})
	}
	// Concurrent creates of one email: one wins.
	for range loadDuplicate {
		tasks = append(tasks, func() {
			_, err := call1(do, func() (*Created, error) {
				return c.Users.Create(ctx, &CreateUserParams{Email: "same@acme.example", FirstName: "Same", LastName: "Email",
					OrgUnitID: convirzatest.SalesOrgUnitID, Role: RoleReadOnly})
			})
			switch {
			case err == nil:
				dupCreated.Add(1)
			case errors.Is(err, ErrDuplicateEmail) && errors.Is(err, ErrConflict):
				duplicates.Add(1)
			default:
				fail(err)
			}
		})
	}
	// Reads fill the rest up to loadCalls.
	userCalls := loadUsers*3 + loadUsers/5 + loadUsers/2*2 // create, patch, get; put; delete, get
	for i := range loadCalls - userCalls - loadDuplicate {
		tasks = append(tasks, func() {
			var err error
			switch i % 3 {
			case 0:
				var p *Page[User]
				p, err = call1(do, func() (*Page[User], error) {
					return c.Users.List(ctx, &ListUsersParams{PageParams: PageParams{Limit: 20, Offset: i % 200},
						Status: UserActive, SortBy: SortByEmail})
				})
				// Three active seeded users are in the Admin's scope; a page
				// holds what its window of the total covers.
				if err == nil && (p.Total < 3 || len(p.Items) != min(20, max(0, p.Total-i%200))) {
					err = fmt.Errorf("list at offset %d: %d items of %d", i%200, len(p.Items), p.Total)
				}
			case 1:
				var p *Profile
				p, err = call1(do, func() (*Profile, error) { return c.Auth.Profile(ctx) })
				if err == nil && p.UserID != convirzatest.AdminUserID {
					err = fmt.Errorf("profile of %d", p.UserID)
				}
			case 2:
				var u *User
				u, err = call1(do, func() (*User, error) { return c.Users.Get(ctx, convirzatest.ReadOnlyUserID) })
				if err == nil && u.Email != convirzatest.ReadOnlyEmail {
					err = fmt.Errorf("got %s", u.Email)
				}
			}
			if err != nil {
				fail(err)
			}
		})
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(tasks), func(i, j int) { tasks[i], tasks[j] = tasks[j], tasks[i] })

	queue := make(chan func())
	var wg sync.WaitGroup
	start := time.Now()
	for range loadWorkers {
		wg.Go(func() {
			for task := range queue {
				task()
			}
		})
	}
	for _, task := range tasks {
		queue <- task
	}
	close(queue)
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("load: %d calls by %d goroutines, %d unexpected errors, %d ErrDuplicateEmail, wall time %v (%.0f calls/s)",
		calls.Load(), loadWorkers, failures.Load(), duplicates.Load(), elapsed.Round(time.Millisecond),
		float64(calls.Load())/elapsed.Seconds())

	assert.Equal(t, int64(loadCalls), calls.Load(), "calls made")
	assert.Zero(t, failures.Load(), "unexpected errors, first ones: %v", errs)
	assert.Equal(t, int64(1), dupCreated.Load(), "one create of the shared email wins")
	assert.Equal(t, int64(loadDuplicate-1), duplicates.Load(), "the others get ErrDuplicateEmail")

	// The fake's state is exactly what the calls imply.
	st := fakeSnapshot(t, srv)
	byEmail := map[string][]fakeUser{}
	for _, u := range st.Users {
		byEmail[u.Email] = append(byEmail[u.Email], u)
	}
	assert.Len(t, st.Users, 4+loadUsers+1, "seeded users, created users, the shared email")
	assert.Len(t, byEmail["same@acme.example"], 1)
	for i := range loadUsers {
		got := byEmail[fmt.Sprintf("load-%04d@acme.example", i)]
		if !assert.Len(t, got, 1, "user %d", i) {
			continue
		}
		want := fakeUser{Email: fmt.Sprintf("load-%04d@acme.example", i), FirstName: fmt.Sprintf("P-%d", i), Status: "active"}
		if i%2 == 0 {
			want.Status = "deleted"
		}
		assert.Equal(t, want, got[0])
	}
	assert.Equal(t, loadUsers+loadDuplicate, srv.RequestCount("POST", "/v3/users"), "no create was sent twice")
	assert.Equal(t, 1, srv.RequestCount("POST", "/oauth/token"), "one login for the whole run")
}

// call1 runs an SDK call that returns a value and counts it through do.
func call1[T any](do func(error) error, f func() (T, error)) (T, error) {
	v, err := f()
	return v, do(err)
}
