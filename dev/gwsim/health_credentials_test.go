package gwsim

import (
	"net/http"
	"testing"
)

// TestHealthNeedsCredentials: under the variant, health (and health/engine)
// answers 401 without valid credentials on every port and in every state,
// quiesced included, and as usual with them; by default it needs none, but
// wrong ones are refused.
func TestHealthNeedsCredentials(t *testing.T) {
	withWrong := func(url string) answer { return getAs(url+"/rest/apigateway/health", "Administrator", "wrong") }
	withCredentials := func(url string) answer { return do("GET", url+"/rest/apigateway/health", nil, true) }

	c, n := startNode(t, Options{Variants: Variants{HealthNeedsCredentials: true}})
	qURL := c.urlFor(setupQuiescePort(t, n))
	for _, u := range []string{n.URL(), qURL} {
		expectStatus(t, health(u), http.StatusUnauthorized)
		expectStatus(t, withWrong(u), http.StatusUnauthorized)
		expectStatus(t, withCredentials(u), http.StatusOK)
	}
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/health/engine", nil, false), http.StatusUnauthorized)
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/health/engine", nil, true), http.StatusOK)
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitState(t, n, StateQuiesced)
	expectStatus(t, health(qURL), http.StatusUnauthorized)
	expectStatus(t, withCredentials(qURL), http.StatusServiceUnavailable)

	_, m := startNode(t, Options{})
	expectStatus(t, health(m.URL()), http.StatusOK)
	expectStatus(t, withCredentials(m.URL()), http.StatusOK)
	expectStatus(t, withWrong(m.URL()), http.StatusUnauthorized)
}
