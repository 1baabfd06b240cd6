package apigw

import (
	"reflect"
	"testing"
)

const sampleServerInfo = `{
  "version": "10.15.0.7.1234",
  "build": "1234",
  "patch_nums": {"APIGateway_10.15_Fix7": "7", "IS_10.15_Core_Fix12": "12"},
  "systemInfo": {"Hostname": "gw-1", "OS.Name": "Linux"},
  "LicenseDetails": [
    {"Sales Information": {"Customer Name": "x"}},
    {"productInformation": {"Product Version": "10.15", "Product Code": "YAIAA"}}
  ],
  "services": ["a", "b"]
}`

func TestServerInfo(t *testing.T) {
	g := newFakeGateway(t, answer(200, sampleServerInfo))
	info, err := newTestClient(t).ServerInfo(ctxT(t), g.URL)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "10.15.0.7.1234" || info.Build != "1234" || info.Hostname != "gw-1" || info.ProductVersion != "10.15" {
		t.Errorf("%+v", info)
	}
	if !reflect.DeepEqual(info.Fixes, []string{"APIGateway_10.15_Fix7", "IS_10.15_Core_Fix12"}) {
		t.Errorf("fixes %v", info.Fixes)
	}
	if info.PatchNums["IS_10.15_Core_Fix12"] != "12" {
		t.Errorf("patch_nums %v", info.PatchNums)
	}
	s := g.only(t)
	if s.Method != "GET" || s.Path != "/rest/apigateway/is/serverinfo" {
		t.Errorf("%s %s", s.Method, s.Path)
	}
	wantAdminHeaders(t, s, false)
}

func TestDecodeServerInfoQuirks(t *testing.T) {
	cases := []struct {
		body string
		want ServerInfo
	}{
		{`{"version":10.5,"build":77}`, ServerInfo{Version: "10.5", Build: "77"}},
		{`{"version":" 10.15.0.7 ","patch_nums":null,"systemInfo":null,"LicenseDetails":null}`, ServerInfo{Version: "10.15.0.7"}},
		{`{"patch_nums":["Fix2","Fix1","Fix2",""]}`, ServerInfo{Fixes: []string{"Fix1", "Fix2"}}},
		{`{"patch_nums":"Fix3, Fix1 Fix2"}`, ServerInfo{Fixes: []string{"Fix1", "Fix2", "Fix3"}}},
		{`{"patch_nums":{}}`, ServerInfo{PatchNums: map[string]any{}}},
		{`{"LicenseDetails":{"productInformation":{"Product Version":"10.11"}}}`, ServerInfo{ProductVersion: "10.11"}},
		// The shape of the vendor's licence example (APIGatewayAdministration.json).
		{`{"LicenseDetails":[{"Sales Information":{"Serial Number":"1"}},{"Product Information":{"Product Code":"YAIAA","Product Version":"10.1"}}]}`, ServerInfo{ProductVersion: "10.1"}},
		{`{"systemInfo":{"Hostname":"h"},"LicenseDetails":"odd"}`, ServerInfo{Hostname: "h"}},
	}
	for _, tc := range cases {
		got, err := decodeServerInfo([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.body, *got, tc.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"version":`, `"x"`} {
		if _, err := decodeServerInfo([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestVersion: the lean read gives the same version as ServerInfo, for the
// odd shapes too, and the same error for an answer that is not JSON.
func TestVersion(t *testing.T) {
	for _, body := range []string{sampleServerInfo, `{"version":10.5}`, `{"version":" 10.15.0.7 "}`, `{}`} {
		g := newFakeGateway(t, answer(200, body))
		c := newTestClient(t)
		info, err := c.ServerInfo(ctxT(t), g.URL)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Version(ctxT(t), g.URL)
		if err != nil || v != info.Version {
			t.Errorf("%s: Version = %q, %v; ServerInfo says %q", body, v, err, info.Version)
		}
	}
	g := newFakeGateway(t, answer(200, `<html>login</html>`))
	_, err := newTestClient(t).Version(ctxT(t), g.URL)
	if err == nil {
		t.Fatal("want error")
	}
	checkErrorStyle(t, err)
}

func TestServerInfoBadAnswer(t *testing.T) {
	g := newFakeGateway(t, answer(200, `<html>login</html>`))
	_, err := newTestClient(t).ServerInfo(ctxT(t), g.URL)
	if err == nil {
		t.Fatal("want error")
	}
	checkErrorStyle(t, err)
}
