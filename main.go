// Command terraform-provider-apigw serves the apigw Terraform provider, which
// performs zero-downtime rolling upgrades of webMethods API Gateway clusters.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/gwops/terraform-provider-apigw/internal/provider"
)

// version is set by the release build through -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()

	var ownEnv []string
	if !debug {
		// Under a debugger the logs go to this process's own stderr, where
		// the user reads them; otherwise only Terraform can keep them.
		var err error
		if ownEnv, err = provider.SilenceUncollectedLogs(os.LookupEnv, os.Setenv); err != nil {
			log.Printf("[WARN] %s", err)
		}
	}
	err := providerserver.Serve(context.Background(), provider.New(version, ownEnv...), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
