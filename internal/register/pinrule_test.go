package register

import (
	"testing"

	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/units"
)

// Every province in force can issue PINs, with a code of Circular 07/2016's annex.
func TestPINProvinceTableCoversEveryProvince(t *testing.T) {
	for _, p := range units.Default().Provinces() {
		code, ok := pinProvince[p.Code]
		if !ok {
			t.Errorf("province %s (%s) has no PIN code", p.Code, p.Name)
			continue
		}
		if _, ok := pin.ProvinceName(code); !ok {
			t.Errorf("province %s: %s is not a code of the annex", p.Code, code)
		}
	}
	if len(pinProvince) != len(units.Default().Provinces()) {
		t.Errorf("table has %d rows for %d provinces", len(pinProvince), len(units.Default().Provinces()))
	}
}
