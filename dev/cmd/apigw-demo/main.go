// Command apigw-demo is `make demo`: it upgrades a simulated three-node API
// Gateway cluster under traffic with `terraform apply` and prints what
// happened.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/gwops/terraform-provider-apigw/dev/demo"
	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

func main() { os.Exit(run()) }

// run is main without os.Exit, so that deferred calls run.
func run() int {
	terraform := flag.String("terraform", os.Getenv("TERRAFORM"),
		"Terraform CLI to run (default: $TERRAFORM, $TF_ACC_TERRAFORM_PATH, terraform on PATH, then $(go env GOPATH)/bin/terraform)")
	flag.Parse()
	if *terraform = tfharness.FindTerraform(*terraform); *terraform == "" {
		fmt.Fprintln(os.Stderr, "apigw-demo: no Terraform CLI: run `make demo`, which installs it, or pass -terraform PATH")
		return 2
	}
	repo, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apigw-demo:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := demo.Run(ctx, demo.Options{Terraform: *terraform, RepoDir: repo, Out: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, "apigw-demo:", err)
		return 1
	}
	return 0
}
