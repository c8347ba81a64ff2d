package service_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/reconcile/service"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*service.Service)(nil).OpenAPI(), map[string]any{
		"ReconcileJob":             service.JobView{},
		"ReconcileJobOptions":      service.Options{},
		"ReconcileJob.progress":    service.Progress{}, // an inline object
		"ReconcileReview":          service.Review{},
		"ReconcileReviewItem":      service.ReviewItem{},
		"ReconcileReviewList":      service.ReviewList{},
		"ReconcileReviewSector":    service.SectorValues{},
		"ReconcileFieldWeight":     service.FieldWeight{},
		"ReconcilePlace":           service.Place{},
		"ReconcileReviewCandidate": service.ReviewCandidate{},
		"ReconcileReviewRecord":    service.ReviewRecord{},
		"ReconcileReviewDecision":  service.ReviewDecision{},
	})
}
