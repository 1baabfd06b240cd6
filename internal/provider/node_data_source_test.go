package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
	"github.com/gwops/terraform-provider-apigw/internal/apigw"
)

// TestAccNodeDataSource reads version, readiness and the quiesce-port alias
// of a simulated node.
func TestAccNodeDataSource(t *testing.T) {
	node := startNode(t, gwsim.Options{Version: "10.15.0.6.321"})
	ctx := context.Background()
	client := testClient(t)
	port := node.ReservePort()
	if _, err := client.CreatePort(ctx, node.URL(), apigw.NewPort{Port: port, Alias: "QP", Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	if err := client.EnablePort(ctx, node.URL(), apigw.PortRef{ListenerKey: apigw.ListenerKey("HTTP", port), Pkg: "WmRoot"}); err != nil {
		t.Fatal(err)
	}
	if err := client.SetQuiescePort(ctx, node.URL(), "QP"); err != nil {
		t.Fatal(err)
	}
	accTest(t, []resource.TestStep{{
		Config: nodeDataConfig("", node.URL()),
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr("data.apigw_node.n", "version", "10.15.0.6.321"),
			resource.TestCheckResourceAttr("data.apigw_node.n", "ready", "true"),
			resource.TestCheckResourceAttr("data.apigw_node.n", "quiesce_port_alias", "QP"),
			resource.TestCheckResourceAttrSet("data.apigw_node.n", "build"),
		),
	}})
}
