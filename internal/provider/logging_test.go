package provider

import (
	"errors"
	"slices"
	"testing"
)

func TestSilenceUncollectedLogs(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string // the environment afterwards
	}{
		{
			name: "nobody collects: every SDK and provider level off",
			env:  map[string]string{},
			want: map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_APIGW": "off"},
		},
		{
			name: "TF_LOG set: untouched",
			env:  map[string]string{"TF_LOG": "TRACE"},
			want: map[string]string{"TF_LOG": "TRACE"},
		},
		{
			name: "TF_LOG_PROVIDER set: untouched",
			env:  map[string]string{"TF_LOG_PROVIDER": "debug"},
			want: map[string]string{"TF_LOG_PROVIDER": "debug"},
		},
		{
			name: "empty TF_LOG collects nothing",
			env:  map[string]string{"TF_LOG": ""},
			want: map[string]string{"TF_LOG": "", "TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_APIGW": "off"},
		},
		{
			name: "a level the user set is kept",
			env:  map[string]string{"TF_LOG_SDK_FRAMEWORK": "trace"},
			want: map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "trace", "TF_LOG_PROVIDER_APIGW": "off"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			set := func(k, v string) error { env[k] = v; return nil }
			done, err := SilenceUncollectedLogs(lookup, set)
			if err != nil {
				t.Fatal(err)
			}
			if len(env) != len(c.want) {
				t.Errorf("environment %v, want %v", env, c.want)
			}
			for k, v := range c.want {
				if got, ok := env[k]; !ok || got != v {
					t.Errorf("%s = %q (set %v), want %q", k, got, ok, v)
				}
			}
			for _, k := range done {
				if _, user := c.env[k]; user || env[k] != "off" {
					t.Errorf("reported %s as set by it", k)
				}
			}
		})
	}
}

func TestSilenceUncollectedLogsNamesTheFailure(t *testing.T) {
	boom := errors.New("boom")
	done, err := SilenceUncollectedLogs(
		func(string) (string, bool) { return "", false },
		func(k, _ string) error {
			if k == "TF_LOG_SDK_PROTO" {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) || !slices.Equal(done, []string{"TF_LOG_SDK"}) {
		t.Fatalf("done %v, err %v", done, err)
	}
}
