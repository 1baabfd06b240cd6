package gwsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The conformance test checks the simulator's bodies against the vendor's
// Swagger 2.0 files: every field it emits must be a declared property of the
// definition and have the declared JSON type. The files live outside the
// repository, in shared/reference beside the repository directory.

var referenceDir = filepath.Join("..", "..", "..", "shared", "reference")

type swaggerFile struct {
	BasePath    string                               `json:"basePath"`
	Paths       map[string]map[string]map[string]any `json:"paths"`
	Definitions map[string]map[string]any            `json:"definitions"`
}

func loadSwagger(t *testing.T, name string) *swaggerFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(referenceDir, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var f swaggerFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return &f
}

func requireReference(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(referenceDir); err != nil {
		t.Skipf("vendor Swagger files not found at %s (shared/reference must sit beside the repository): %v", referenceDir, err)
	}
}

// quirks are the documented departures from the Swagger files
// (apigw-api.md) that the checker accepts.
type quirks struct {
	stringNumbers map[string]bool // "Def.field": integer sent as a string
	nullable      map[string]bool // "Def.field": null allowed
	extra         map[string]bool // "Def.field": undeclared field allowed
}

var documentedQuirks = quirks{
	// "Many booleans and numbers come back as strings ("port": "4444")".
	stringNumbers: map[string]bool{"Port.port": true, "Port.internalPort": true},
	// "status" null means the operation is still in progress (the
	// definition's own description, and the PUT example answer).
	nullable: map[string]bool{"QuiesceMode.status": true},
	extra: map[string]bool{
		// apigw-api.md: the POST /ports answer holds "listenerKey".
		"Port.listenerKey": true,
		// The vendor's own cluster example spells it "hostnames".
		"Ignite.hostnames": true,
	},
}

type schemaChecker struct {
	spec   *swaggerFile
	quirks quirks
	errs   []string
}

func (c *schemaChecker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

func (c *schemaChecker) check(path string, v any, schema map[string]any) {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		def, ok := c.spec.Definitions[name]
		if !ok {
			c.fail(path, "unknown definition %s", ref)
			return
		}
		c.check(name, v, def)
		return
	}
	if v == nil {
		if !c.quirks.nullable[path] {
			c.fail(path, "null is not allowed")
		}
		return
	}
	typ, _ := schema["type"].(string)
	if typ == "" && schema["properties"] != nil {
		typ = "object"
	}
	switch typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "want object, got %T", v)
			return
		}
		props, _ := schema["properties"].(map[string]any)
		extraSchema, _ := schema["additionalProperties"].(map[string]any)
		for k, fv := range obj {
			fp := path + "." + k
			switch ps, declared := props[k].(map[string]any); {
			case declared:
				c.check(fp, fv, ps)
			case extraSchema != nil:
				c.check(fp, fv, extraSchema)
			case len(props) == 0 || c.quirks.extra[fp]:
				// free-form object, or a documented extra field
			default:
				c.fail(fp, "not a declared property")
			}
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			c.fail(path, "want array, got %T", v)
			return
		}
		items, _ := schema["items"].(map[string]any)
		for i, item := range list {
			if items != nil {
				c.check(fmt.Sprintf("%s[%d]", path, i), item, items)
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			c.fail(path, "want string, got %T (%v)", v, v)
			return
		}
		if enum, ok := schema["enum"].([]any); ok && !contains(enum, s) {
			c.fail(path, "%q is not one of %v", s, enum)
		}
	case "integer":
		switch n := v.(type) {
		case float64:
			if n != float64(int64(n)) {
				c.fail(path, "want integer, got %v", n)
			}
		case string:
			if _, err := strconv.Atoi(n); err != nil || !c.quirks.stringNumbers[path] {
				c.fail(path, "want integer, got string %q", n)
			}
		default:
			c.fail(path, "want integer, got %T", v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			c.fail(path, "want number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.fail(path, "want boolean, got %T (%v)", v, v)
		}
	case "":
		// no constraint
	default:
		c.fail(path, "checker does not know type %q", typ)
	}
}

func contains(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// operation finds a path and method of the spec; the path is given without
// the basePath.
func (s *swaggerFile) operation(t *testing.T, path, method string) map[string]any {
	t.Helper()
	op, ok := s.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("Swagger has no %s %s", method, path)
	}
	return op
}

func (s *swaggerFile) responseSchema(t *testing.T, path, method string, status int) map[string]any {
	t.Helper()
	resp, _ := s.operation(t, path, method)["responses"].(map[string]any)
	r, _ := resp[strconv.Itoa(status)].(map[string]any)
	if r == nil {
		t.Fatalf("Swagger documents no %d for %s %s", status, method, path)
	}
	schema, _ := r["schema"].(map[string]any)
	if schema == nil {
		t.Fatalf("Swagger gives no schema for %d of %s %s", status, method, path)
	}
	return schema
}

func (s *swaggerFile) bodySchema(t *testing.T, path, method string) map[string]any {
	t.Helper()
	params, _ := s.operation(t, path, method)["parameters"].([]any)
	for _, p := range params {
		if pm, _ := p.(map[string]any); pm["in"] == "body" {
			schema, ok := pm["schema"].(map[string]any)
			if !ok {
				t.Fatalf("Swagger body of %s %s has no schema object", method, path)
			}
			return schema
		}
	}
	t.Fatalf("Swagger has no body for %s %s", method, path)
	return nil
}

// bodyExample is the vendor's example request for an operation, if any.
func (s *swaggerFile) bodyExample(path, method string) string {
	params, _ := s.Paths[path][strings.ToLower(method)]["parameters"].([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		if ex, _ := pm["x-examples"].(map[string]any); ex != nil {
			s, _ := ex["application/json"].(string)
			return s
		}
	}
	return ""
}

// conform checks one JSON body against a schema.
func conform(t *testing.T, spec *swaggerFile, what string, body []byte, schema map[string]any) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s: not JSON: %q", what, body)
		return
	}
	c := &schemaChecker{spec: spec, quirks: documentedQuirks}
	c.check("body", v, schema)
	if len(c.errs) > 0 {
		sort.Strings(c.errs)
		t.Errorf("%s does not conform:\n  %s\nbody: %s", what, strings.Join(c.errs, "\n  "), body)
	}
}

// answerConforms sends a call and checks the answer against the schema
// Swagger gives for the expected status.
func answerConforms(t *testing.T, spec *swaggerFile, base, path, query, method string, body any, status int) answer {
	t.Helper()
	u := base + strings.TrimSuffix(spec.BasePath, "/") + path
	if query != "" {
		u += "?" + query
	}
	a := do(method, u, body, true)
	expectStatus(t, a, status)
	specPath := path
	if strings.HasPrefix(path, "/ports/HTTP") {
		specPath = "/ports/{listenerKey}"
		if strings.HasSuffix(path, "/accessMode") {
			specPath += "/accessMode"
		}
	}
	conform(t, spec, fmt.Sprintf("%s %s -> %d", method, path, status), a.body, spec.responseSchema(t, specPath, method, status))
	return a
}

func TestSwaggerCheckerCatchesMistakes(t *testing.T) {
	requireReference(t)
	spec := loadSwagger(t, "APIGatewayPortManagement.json")
	port := map[string]any{"$ref": "#/definitions/Port"}
	for body, wantErr := range map[string]bool{
		`{"port":4444,"enabled":"true","key":"HTTPListener@4444"}`: false,
		`{"port":"4444"}`:                false, // documented quirk
		`{"enabled":true}`:               true,  // boolean where Swagger says string
		`{"portNumber":"4444"}`:          true,  // undeclared
		`{"port":"44x"}`:                 true,
		`{"hostAllow":["a",1]}`:          true,
		`{"listenerKey":"x"}`:            false, // documented extra
		`{"uniqueID":null}`:              true,
		`[{"port":4444}]`:                true,
		`{"idProvider":{"any":"thing"}}`: false,
	} {
		var v any
		_ = json.Unmarshal([]byte(body), &v)
		c := &schemaChecker{spec: spec, quirks: documentedQuirks}
		c.check("body", v, port)
		if got := len(c.errs) > 0; got != wantErr {
			t.Errorf("%s: errors %v, want error %t", body, c.errs, wantErr)
		}
	}
}

func TestSwaggerPortConformance(t *testing.T) {
	requireReference(t)
	spec := loadSwagger(t, "APIGatewayPortManagement.json")
	c, n := startNode(t, Options{})
	p := n.ReservePort()
	key := "HTTPListener@" + itoa(p)

	// Request bodies as the tutorial sends them are valid Port and
	// PortReference objects (numbers as strings being the documented quirk).
	create := map[string]string{"factoryKey": "webMethods/HTTP", "pkg": "WmRoot", "port": itoa(p), "portAlias": "QuiescePort"}
	ref := map[string]string{"listenerKey": key, "pkg": "WmRoot"}
	createJSON, _ := json.Marshal(create)
	refJSON, _ := json.Marshal(ref)
	conform(t, spec, "POST /ports request", createJSON, spec.bodySchema(t, "/ports", "POST"))
	conform(t, spec, "PUT /ports/enable request", refJSON, spec.bodySchema(t, "/ports/enable", "PUT"))
	conform(t, spec, "PUT /ports/disable request", refJSON, spec.bodySchema(t, "/ports/disable", "PUT"))

	answerConforms(t, spec, n.URL(), "/ports", "", "POST", create, http.StatusCreated)
	answerConforms(t, spec, n.URL(), "/ports", "", "POST", create, http.StatusBadRequest)
	// Swagger shares one operation for the list and ?listenerKey=; the
	// latter answers a single port object (apigw-api.md), an item of the
	// list.
	a := do("GET", n.URL()+"/rest/apigateway/ports?listenerKey="+url.QueryEscape(key), nil, true)
	expectStatus(t, a, http.StatusOK)
	conform(t, spec, "GET /ports?listenerKey= -> 200", a.body, map[string]any{"$ref": "#/definitions/Port"})
	answerConforms(t, spec, n.URL(), "/ports", "listenerKey=HTTPListener@1", "GET", nil, http.StatusBadRequest)
	answerConforms(t, spec, n.URL(), "/ports/enable", "", "PUT", ref, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports/enable", "", "PUT", map[string]string{"listenerKey": "HTTPListener@1"}, http.StatusBadRequest)
	answerConforms(t, spec, n.URL(), "/ports", "", "GET", nil, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports", "pkg=WmRoot", "GET", nil, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports/"+key, "", "GET", nil, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports/HTTPListener@1", "", "GET", nil, http.StatusNotFound)
	answerConforms(t, spec, n.URL(), "/ports/primary", "", "GET", nil, http.StatusOK)
	// Access mode (AccessModeType in, Port or AccessModeType out) and the
	// update that suspends and resumes a port (the Port object as read).
	setMode := map[string]string{"accessMode": "deny"}
	modeJSON, _ := json.Marshal(setMode)
	conform(t, spec, "POST /ports/{listenerKey}/accessMode request", modeJSON, spec.bodySchema(t, "/ports/{listenerKey}/accessMode", "POST"))
	answerConforms(t, spec, n.URL(), "/ports/"+key+"/accessMode", "", "POST", setMode, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports/"+key+"/accessMode", "", "GET", nil, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports/HTTPListener@1/accessMode", "", "GET", nil, http.StatusNotFound)
	answerConforms(t, spec, n.URL(), "/ports/HTTPListener@1/accessMode", "", "POST", setMode, http.StatusNotFound)
	answerConforms(t, spec, n.URL(), "/ports/"+key+"/accessMode", "", "POST", map[string]string{"accessMode": "x"}, http.StatusInternalServerError)
	a = do("GET", n.URL()+"/rest/apigateway/ports?listenerKey="+url.QueryEscape(key), nil, true)
	var update map[string]any
	if err := json.Unmarshal(a.body, &update); err != nil {
		t.Fatal(err)
	}
	update["suspended"] = "true"
	updateJSON, _ := json.Marshal(update)
	conform(t, spec, "PUT /ports request", updateJSON, spec.bodySchema(t, "/ports", "PUT"))
	answerConforms(t, spec, n.URL(), "/ports", "", "PUT", update, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/ports", "", "PUT", map[string]string{"key": "HTTPListener@1"}, http.StatusBadRequest)
	a = answerConforms(t, spec, n.URL(), "/ports/disable", "", "PUT", ref, http.StatusOK)
	// The disable answer is also a plain PortReference.
	conform(t, spec, "PUT /ports/disable answer as PortReference", a.body, map[string]any{"$ref": "#/definitions/PortReference"})
	answerConforms(t, spec, n.URL(), "/ports/disable", "", "PUT", map[string]string{"listenerKey": "HTTPListener@" + itoa(n.PrimaryPort()), "pkg": "WmRoot"}, http.StatusBadRequest)
	answerConforms(t, spec, n.URL(), "/ports", "pkg=WmRoot&listenerKey=HTTPListener@"+itoa(n.PrimaryPort()), "DELETE", nil, http.StatusBadRequest)
	// Enabling a port that cannot be bound answers 500 with the same shape.
	busy, err := c.bind(0)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bp := busy.Addr().String()[strings.LastIndex(busy.Addr().String(), ":")+1:]
	answerConforms(t, spec, n.URL(), "/ports", "", "POST", map[string]string{"port": bp, "portAlias": "Busy"}, http.StatusCreated)
	answerConforms(t, spec, n.URL(), "/ports/enable", "", "PUT", map[string]string{"listenerKey": "HTTPListener@" + bp, "pkg": "WmRoot"}, http.StatusInternalServerError)
}

func TestSwaggerQuiesceModeConformance(t *testing.T) {
	requireReference(t)
	spec := loadSwagger(t, "APIGatewayAdministration.json")
	_, n := startNode(t, Options{})

	// The vendor's example request is valid and accepted.
	example := spec.bodyExample("/quiescemode", "PUT")
	if example == "" {
		t.Fatal("no example for PUT /quiescemode")
	}
	conform(t, spec, "PUT /quiescemode example", []byte(example), spec.bodySchema(t, "/quiescemode", "PUT"))

	answerConforms(t, spec, n.URL(), "/quiescemode", "", "GET", nil, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/quiescemode", "", "PUT", map[string]any{"block": "designtime", "enable": true}, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/quiescemode", "", "GET", nil, http.StatusOK)
	answerConforms(t, spec, n.URL(), "/quiescemode", "", "PUT", map[string]any{"block": "designtime", "enable": false}, http.StatusOK)
	// Failure reported by GET after quiesce for all was refused.
	expectStatus(t, do("PUT", n.URL()+"/rest/apigateway/quiescemode", example, true), http.StatusInternalServerError)
	answerConforms(t, spec, n.URL(), "/quiescemode", "", "GET", nil, http.StatusOK)

	setupQuiescePort(t, n)
	n.SetFaults(Faults{DrainNeverEnds: true})
	a := answerConforms(t, spec, n.URL(), "/quiescemode", "", "PUT", json.RawMessage(example), http.StatusOK)
	if !strings.Contains(string(a.body), `"status":null`) {
		t.Errorf("PUT answer must carry status null: %s", a.body)
	}
	answerConforms(t, spec, n.URL(), "/quiescemode", "", "GET", nil, http.StatusOK)
}

func TestSwaggerServerInfoConformance(t *testing.T) {
	requireReference(t)
	spec := loadSwagger(t, "APIGatewayServerInfoSwagger.json")
	c := startCluster(t, Options{Nodes: 1})
	answerConforms(t, spec, c.Nodes()[0].URL(), "/is/serverinfo", "", "GET", nil, http.StatusOK)
}

func TestSwaggerOtherConformance(t *testing.T) {
	requireReference(t)
	admin := loadSwagger(t, "APIGatewayAdministration.json")
	avail := loadSwagger(t, "APIGatewayAvailability.json")
	c, n := startNode(t, Options{Nodes: 2})
	answerConforms(t, avail, n.URL(), "/engine", "", "GET", nil, http.StatusOK)
	answerConforms(t, admin, n.URL(), "/is/cluster", "", "GET", nil, http.StatusOK)
	answerConforms(t, admin, n.URL(), "/webhooks", "", "POST", map[string]any{
		"config": map[string]any{"url": "http://127.0.0.1:1/hook"}, "events": []string{"migration:quiesce:all:completed"}, "active": false,
	}, http.StatusCreated)

	// The vendor's shutdown example is a valid Shutdown body and accepted.
	example := admin.bodyExample("/shutdown", "POST")
	conform(t, admin, "POST /shutdown example", []byte(example), admin.bodySchema(t, "/shutdown", "POST"))
	expectStatus(t, do("POST", n.URL()+"/rest/apigateway/shutdown", example, true), http.StatusOK)
	waitFor(t, "bounced", func() bool { return n.State() == StateReady && len(kinds(c.Events(), n.Name())) > 3 })
}
