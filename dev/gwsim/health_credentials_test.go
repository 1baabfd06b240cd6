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
	withWrong := func(url string) answer {
		req, _ := http.NewRequest("GET", url+"/rest/apigateway/health", nil)
		req.SetBasicAuth("Administrator", "wrong")
		resp, err := testClient.Do(req)
		if err != nil {
			return answer{err: err}
		}
		resp.Body.Close()
		return answer{status: resp.StatusCode}
	}
	withCredentials := func(url string) answer { return do("GET", url+"/rest/apigateway/health", nil, true) }

	c := startCluster(t, Options{Nodes: 1, Variants: Variants{HealthNeedsCredentials: true}})
	n := c.Nodes()[0]
	qURL := c.urlFor(setupQuiescePort(t, n))
	for _, u := range []string{n.URL(), qURL} {
		expectStatus(t, health(u), http.StatusUnauthorized)
		expectStatus(t, withWrong(u), http.StatusUnauthorized)
		expectStatus(t, withCredentials(u), http.StatusOK)
	}
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/health/engine", nil, false), http.StatusUnauthorized)
	expectStatus(t, do("GET", n.URL()+"/rest/apigateway/health/engine", nil, true), http.StatusOK)
	expectStatus(t, quiesceAll(n), http.StatusOK)
	waitFor(t, "quiesced", func() bool { return n.State() == StateQuiesced })
	expectStatus(t, health(qURL), http.StatusUnauthorized)
	expectStatus(t, withCredentials(qURL), http.StatusServiceUnavailable)

	d := startCluster(t, Options{Nodes: 1})
	m := d.Nodes()[0]
	expectStatus(t, health(m.URL()), http.StatusOK)
	expectStatus(t, withCredentials(m.URL()), http.StatusOK)
	expectStatus(t, withWrong(m.URL()), http.StatusUnauthorized)
}
