package links

import (
	"fmt"
	"html/template"
	"io"
)

// Mail scanners and chat previews follow links, so a GET only shows this
// page; the action happens when the person presses the button (a POST).
var confirmTemplate = template.Must(template.New("confirm").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{{.Label}} incident #{{.IncidentID}}</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main class="login card">
<h1>{{.Label}} incident #{{.IncidentID}}: {{.Title}}?</h1>
<p>This link works once and expires at {{.Expires}}.</p>
<form method="post" action="{{.PostURL}}">
<button type="submit" class="primary">{{.Label}}</button>
</form>
</main>
</body>
</html>
`))

var resultTemplate = template.Must(template.New("result").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Vigil</title>
<meta name="referrer" content="no-referrer">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main class="login card">
<p>{{.}}</p>
</main>
</body>
</html>
`))

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
