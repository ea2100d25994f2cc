package signing

import (
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The example of the Standard Webhooks specification.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignKnownVector(t *testing.T) {
	t.Parallel()
	got, err := Sign(specSecret, specID, time.Unix(specTS, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSig {
		t.Fatalf("Sign = %s, want %s", got, specSig)
	}
}

func TestSignRejectsBadSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_", "whsec_!!!", "whsec_c2hvcnQ=", "whsec_" + strings.Repeat("QUFB", 30)} {
		if _, err := Sign(s, "id", time.Now(), nil); err == nil {
			t.Errorf("Sign accepted secret %q", s)
		}
	}
}

// Every header set we build must verify with the official library, with the
// current secret and, during a rotation, with the previous one too.
func TestHeadersVerifyWithOfficialLibrary(t *testing.T) {
	t.Parallel()
	current, previous := NewSecret(), NewSecret()
	body := []byte(`{"type":"comment.created","data":{"id":1}}`)
	tests := []struct {
		name    string
		secrets []string
		verify  string
		ok      bool
	}{
		{"current only", []string{current}, current, true},
		{"rotation: current", []string{current, previous}, current, true},
		{"rotation: previous", []string{current, previous}, previous, true},
		{"after grace: previous refused", []string{current}, previous, false},
		{"unrelated secret", []string{current}, NewSecret(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if err := SetHeaders(h, "msg_1", time.Now(), body, tc.secrets...); err != nil {
				t.Fatal(err)
			}
			wh, err := standardwebhooks.NewWebhook(tc.verify)
			if err != nil {
				t.Fatal(err)
			}
			err = wh.Verify(body, h)
			if tc.ok != (err == nil) {
				t.Fatalf("official Verify err = %v, want ok=%v", err, tc.ok)
			}
			if err2 := Verify(tc.verify, h, body, time.Now(), 5*time.Minute); tc.ok != (err2 == nil) {
				t.Fatalf("Verify err = %v, want ok=%v", err2, tc.ok)
			}
		})
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	body := []byte(`{"a":1}`)
	now := time.Now()
	fresh := func() http.Header {
		h := http.Header{}
		if err := SetHeaders(h, "msg_1", now, body, secret); err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := map[string]func(http.Header) ([]byte, time.Time){
		"body changed":     func(h http.Header) ([]byte, time.Time) { return []byte(`{"a":2}`), now },
		"id changed":       func(h http.Header) ([]byte, time.Time) { h.Set(HeaderID, "msg_2"); return body, now },
		"timestamp stale":  func(h http.Header) ([]byte, time.Time) { return body, now.Add(6 * time.Minute) },
		"signature absent": func(h http.Header) ([]byte, time.Time) { h.Del(HeaderSignature); return body, now },
	}
	for name, mut := range tests {
		h := fresh()
		b, at := mut(h)
		if err := Verify(secret, h, b, at, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func FuzzSignVerifyRoundTrip(f *testing.F) {
	f.Add("msg_1", int64(1614265330), []byte(specBody))
	f.Add("", int64(0), []byte{})
	f.Add("msg_ü.…", int64(-1), []byte{0xff, 0x00})
	secret := NewSecret()
	f.Fuzz(func(t *testing.T, id string, unix int64, body []byte) {
		ts := time.Unix(unix%1e10, 0)
		h := http.Header{}
		if err := SetHeaders(h, id, ts, body, secret); err != nil {
			t.Fatal(err)
		}
		if id == "" || strings.ContainsAny(id, "\r\n") {
			return // not a header value a delivery can carry
		}
		if err := Verify(secret, h, body, ts, time.Second); err != nil {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
