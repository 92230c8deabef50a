package convirza_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

func ExampleGroupsService_Tree() {
	client, done := newExampleClient()
	defer done()

	roots, err := client.Groups.Tree(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	var show func(nodes []*convirza.TreeNode)
	show = func(nodes []*convirza.TreeNode) {
		for _, n := range nodes {
			fmt.Printf("%s%s (%d)\n", strings.Repeat("  ", n.Level-1), n.Name, n.ID)
			show(n.Children)
		}
	}
	show(roots)
	// Output:
	// Acme Corporation (1001)
	//   Sales Division (1002)
	//     East Coast Sales (1004)
	//   Support Division (1003)
}

func ExampleGroupsService_Create() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	params := &convirza.CreateGroupParams{Name: "Inside Sales", ParentID: convirzatest.SalesOrgUnitID}
	created, err := client.Groups.Create(ctx, params)
	if err != nil {
		log.Fatal(err)
	}
	group, err := client.Groups.Get(ctx, created.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(group.ID, group.Name, group.Timezone)

	// Names are unique among siblings.
	_, err = client.Groups.Create(ctx, params)
	fmt.Println("again:", errors.Is(err, convirza.ErrConflict))

	// A group that still has child groups cannot be deleted.
	err = client.Groups.Delete(ctx, convirzatest.SalesOrgUnitID)
	fmt.Println("delete Sales:", errors.Is(err, convirza.ErrConflict))
	// Output:
	// 10005 Inside Sales America/New_York
	// again: true
	// delete Sales: true
}

func ExampleGroupsService_Hierarchy() {
	client, done := newExampleClient()
	defer done()
	ctx := context.Background()

	ids, err := client.Groups.Hierarchy(ctx, convirzatest.SalesOrgUnitID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids)

	// Out of scope is a 401 here, not a 403 or 404.
	_, err = client.Groups.Hierarchy(ctx, convirzatest.OtherAccountOrgUnitID)
	fmt.Println("other account:", errors.Is(err, convirza.ErrUnauthorized))
	// Output:
	// [1002 1004]
	// other account: true
}

func ExampleBuildTree() {
	flat := []convirza.TreeNode{
		{ID: 1001, Name: "Corporate Headquarters", Code: "1", Level: 1},
		{ID: 1002, Name: "Sales Division", Code: "1.1", Level: 2},
		{ID: 1003, Name: "East Coast Sales", Code: "1.1.1", Level: 3},
	}
	for _, root := range convirza.BuildTree(flat) {
		fmt.Println(root.Name, ">", root.Children[0].Name, ">", root.Children[0].Children[0].Name)
	}
	// Output:
	// Corporate Headquarters > Sales Division > East Coast Sales
}
