package api

import (
	_ "embed"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
)

// openapiDoc is the OpenAPI 3 description of every route; a test checks the
// route table against it, so edit it with every route.
//
//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc)
	return nil
}
