package identity

import "strings"

// DeviceName says a sign-in's device (its browser's User-Agent) as its
// holder knows it: the browser and the system ("Chrome · Windows"), or the
// text itself, shortened, when it names neither. The history keeps the
// whole text; pages and alerts show this.
func DeviceName(ua string) string {
	browser := firstOf(ua, [][2]string{
		{"CocCoc", "Cốc Cốc"}, {"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"OPR/", "Opera"}, {"Opera", "Opera"},
		{"SamsungBrowser", "Samsung Internet"}, {"Zalo", "Zalo"}, {"FBAN", "Facebook"}, {"Firefox/", "Firefox"}, {"FxiOS", "Firefox"},
		{"CriOS", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go"},
	})
	system := firstOf(ua, [][2]string{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"},
		{"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	})
	switch {
	case browser != "" && system != "":
		return browser + " · " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return truncate(strings.TrimSpace(ua), 40)
}

// firstOf is the name of the first of marks found in s, or "".
func firstOf(s string, marks [][2]string) string {
	for _, m := range marks {
		if strings.Contains(s, m[0]) {
			return m[1]
		}
	}
	return ""
}

// DeviceName is the login's device as its holder knows it (DeviceName).
func (l Login) DeviceName() string { return DeviceName(l.Device) }
