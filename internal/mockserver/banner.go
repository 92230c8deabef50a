package mockserver

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// Banner is what Run prints on stdout at start: the URLs to point clients
// at and the seeded admin's credentials.
type Banner struct {
	API, Auth, Faults, Email, Password, Webhooks string
}

// ReadBanner reads the start lines that Run prints from r, up to the Faults
// line, which stays the last one. Callers that leave Run running must keep
// reading r, or the server blocks on its output.
func ReadBanner(r io.Reader) (Banner, error) {
	sc := bufio.NewScanner(r)
	var b Banner
	for b.Faults == "" && sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ":")
		value = strings.TrimSpace(value)
		switch key {
		case "API URL":
			b.API = value
		case "Auth URL":
			b.Auth = value
		case "Admin":
			b.Email, b.Password, _ = strings.Cut(value, " / ")
		case "Webhooks":
			b.Webhooks = value
		case "Faults":
			b.Faults = value
		}
	}
	if b.Faults == "" {
		return b, errors.Join(errors.New("no banner"), sc.Err())
	}
	return b, nil
}
