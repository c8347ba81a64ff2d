package exchange

import (
	"context"
	"embed"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed services/*.json
var serviceDocs embed.FS

// builtins are the register's own services, provided by Platform.
var builtins = []Service{
	{ID: Platform + "/person", Title: "Tra cứu thông tin công dân theo số định danh cá nhân", Fields: PersonFields,
		Methods: []Endpoint{{"GET", "/{pin}"}}},
	{ID: Platform + "/verify", Title: "Xác thực thông tin công dân (đúng/sai)", Fields: VerifyFields,
		Methods: []Endpoint{{"POST", "/"}}},
	{ID: Platform + "/verify-batch", Title: "Xác thực thông tin công dân theo lô (tối đa 10.000 dòng)", Fields: VerifyFields,
		Methods: []Endpoint{{"POST", "/"}}},
}

// DefaultPurposes are the purposes the catalogue starts with.
var DefaultPurposes = []Purpose{
	{Code: "KYC", Name: "Định danh khách hàng khi mở tài khoản", LegalBases: []string{"Nghị định 13/2023/NĐ-CP, Điều 11 (sự đồng ý của chủ thể dữ liệu)"}, ConsentRequired: true},
	{Code: "HEALTH-INSURANCE-CHECK", Name: "Kiểm tra thông tin người bệnh khi khám chữa bệnh bảo hiểm y tế", LegalBases: []string{"Luật Bảo hiểm y tế 2008 (sửa đổi 2024), Điều 28"}},
	{Code: "DRIVING-LICENCE", Name: "Cấp, đổi giấy phép lái xe", LegalBases: []string{"Luật Trật tự, an toàn giao thông đường bộ 2024, Điều 59"}, OfficerRequired: true},
	{Code: "CIVIL-REGISTRATION", Name: "Đăng ký hộ tịch", LegalBases: []string{"Luật Hộ tịch 2014, Điều 5", "Luật Căn cước 2023, Điều 10"}, OfficerRequired: true},
}

// EnsureCatalogue registers the platform's member, its subsystem, the
// built-in services and the default purposes where they are missing, and
// brings the stored built-in services up to this binary's description.
func (x *Exchange) EnsureCatalogue(ctx context.Context) error {
	sid, _ := ParseSubsystem(Platform)
	if _, err := x.AddMember(ctx, Member{ID: sid.MemberID(), Name: "Bộ Công an (Cục C06)", Unit: "VN"}); err != nil && !problem.Is(err, problem.Invalid) {
		return err
	}
	if _, err := x.AddSubsystem(ctx, Platform, "Cơ sở dữ liệu quốc gia về dân cư", nil); err != nil && !problem.Is(err, problem.Invalid) {
		return err
	}
	for _, s := range builtins {
		doc, err := serviceDocs.ReadFile("services/" + s.ID[len(Platform)+1:] + ".json")
		if err != nil {
			return err
		}
		s.OpenAPI = json.RawMessage(doc)
		have, err := x.Service(ctx, s.ID)
		if err == nil {
			// A built-in service is described by the binary: a newer one's
			// description replaces the stored one.
			if err := x.refreshBuiltin(ctx, have, s); err != nil {
				return err
			}
			continue
		}
		if err := x.AddService(ctx, s); err != nil && !problem.Is(err, problem.Invalid) {
			return err
		}
	}
	have, err := x.Purposes(ctx)
	if err != nil {
		return err
	}
	for _, p := range DefaultPurposes {
		found := false
		for _, h := range have {
			found = found || h.Code == p.Code
		}
		if !found {
			if err := x.AddPurpose(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func mustMember(r *http.Request) (auth.Principal, error) {
	p, err := auth.MustFromContext(r.Context())
	if err == nil && p.Kind != auth.KindMember {
		err = problem.New(problem.Forbidden, "only a member system may call this")
	}
	return p, err
}

// refreshBuiltin stores s, a built-in service as this binary describes it,
// over have, the stored one, where they differ.
func (x *Exchange) refreshBuiltin(ctx context.Context, have, s Service) error {
	if have.Title == s.Title && slices.Equal(have.Fields, s.Fields) && slices.Equal(have.Methods, s.Methods) && string(have.OpenAPI) == string(s.OpenAPI) {
		return nil
	}
	defer x.invalidate()
	methods, _ := json.Marshal(s.Methods)
	_, err := x.db.ExecContext(ctx, `UPDATE exchange_services SET title = $1, fields = $2, methods = $3, openapi = $4 WHERE id = $5`,
		s.Title, strings.Join(s.Fields, ","), string(methods), string(s.OpenAPI), s.ID)
	return err
}
