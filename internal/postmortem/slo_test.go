package postmortem_test

import (
	"reflect"
	"testing"

	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/slo"
)

func TestDefaultBudgetShareIsTheSLOs(t *testing.T) {
	if postmortem.DefaultBudgetShare != slo.PostmortemShare {
		t.Errorf("DefaultBudgetShare %v, slo.PostmortemShare %v: the SLO page and the policy must agree", postmortem.DefaultBudgetShare, slo.PostmortemShare)
	}
	p, err := postmortem.ParsePolicy(postmortem.DefaultRequiredFor, 0)
	if err != nil || !reflect.DeepEqual(p, postmortem.DefaultPolicy) {
		t.Errorf("DefaultRequiredFor parses to %+v, %v; want DefaultPolicy %+v", p, err, postmortem.DefaultPolicy)
	}
}
