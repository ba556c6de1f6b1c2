package links

import (
	"fmt"
	"html/template"
	"io"
)

// Page parses a page that stands alone outside the web UI: one card,
// styled as the sign-in is, kept out of search engines and sending no
// referrer. title (the title element's text) and card (what the card
// holds) are template text. The action links' pages are such pages, and
// so is the page of a sign-in that did not succeed.
func Page(name, title, card string) *template.Template {
	return template.Must(template.New(name).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>` + title + `</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main class="login card">
` + card + `</main>
</body>
</html>
`))
}

// Mail scanners and chat previews follow links, so a GET only shows this
// page; the action happens when the person presses the button (a POST).
var confirmTemplate = Page("confirm", "{{.Label}} incident #{{.IncidentID}}", `<h1>{{.Label}} incident #{{.IncidentID}}: {{.Title}}?</h1>
<p>This link works once and expires at {{.Expires}}.</p>
<form method="post" action="{{.PostURL}}">
<button type="submit" class="primary">{{.Label}}</button>
</form>
`)

var resultTemplate = Page("result", "Vigil", "<p>{{.}}</p>\n")

// ConfirmPage writes the page that a GET of an action link shows: what the
// link does and a button that POSTs to postURL. It does nothing else.
func ConfirmPage(w io.Writer, a Action, incidentTitle, postURL string) error {
	data := struct {
		Label      string
		IncidentID int64
		Title      string
		Expires    string
		PostURL    string
	}{
		Label:      verbLabel(a.Verb),
		IncidentID: a.IncidentID,
		Title:      incidentTitle,
		Expires:    a.Expires.UTC().Format("2006-01-02 15:04 MST"),
		PostURL:    postURL,
	}
	if err := confirmTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("write confirmation page: %w", err)
	}
	return nil
}

// ResultPage writes a short page with message, the answer to a POST.
func ResultPage(w io.Writer, message string) error {
	if err := resultTemplate.Execute(w, message); err != nil {
		return fmt.Errorf("write result page: %w", err)
	}
	return nil
}

func verbLabel(verb string) string {
	switch verb {
	case VerbAcknowledge:
		return "Acknowledge"
	case VerbResolve:
		return "Resolve"
	}
	return "Act on"
}
