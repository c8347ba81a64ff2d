package synth

import (
	"fmt"
	"sync"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/wyrand"
)

// world is what the generator needs from the administrative units, indexed
// for drawing: built once per registry and shared by every Generate call.
type world struct {
	provinces []*province
	byPop     alias // current provinces weighted by population
	legacy    []*legacyProvince
	// migrantOrigin draws the province a migrant household came from,
	// tempDest the province of a temporary residence elsewhere.
	migrantOrigin, tempDest alias

	ethnicities []civil.Ethnicity
	religions   []civil.Religion
}

type province struct {
	index    int
	code     string
	pop      float64
	region   int
	south    bool    // southern spelling of surnames (Huỳnh, Võ)
	attract  float64 // pull on migrants, 0..1
	communes []commune
	pick     alias // communes by weight
	// predecessors are the legacy provinces merged into this one.
	predecessors []int
	ethnicity    alias // over world.ethnicities
	religion     alias // over world.religions
}

type commune struct {
	code string
	ward bool // phường: urban addresses
	// births lists the pre-2025 communes it was formed from, where births
	// of its residents were registered before 1 July 2025.
	births []birthplace
}

// birthplace is a pre-2025 commune and its province.
type birthplace struct {
	key    string // "old:00004"
	legacy int    // index into world.legacy
}

type legacyProvince struct {
	code     string // "01"
	pinCode  string // "001", the birth-registration code of Circular 07/2016
	births   []birthplace
	province int // index of the current province it is part of
}

// Regions, for the words of addresses and where ethnic groups live.
const (
	regNorthDelta = iota
	regNorthMountain
	regNorthCentral
	regCentralCoast
	regHighlands
	regSoutheast
	regMekong
)

// regionOf places the 34 provinces in the usual socio-economic regions
// (Tây Ninh, which absorbed Long An, counts as the South East).
var regionOf = map[string]int{
	"04": regNorthMountain, "08": regNorthMountain, "11": regNorthMountain, "12": regNorthMountain,
	"14": regNorthMountain, "15": regNorthMountain, "19": regNorthMountain, "20": regNorthMountain,
	"01": regNorthDelta, "22": regNorthDelta, "24": regNorthDelta, "25": regNorthDelta,
	"31": regNorthDelta, "33": regNorthDelta, "37": regNorthDelta,
	"38": regNorthCentral, "40": regNorthCentral, "42": regNorthCentral,
	"44": regCentralCoast, "46": regCentralCoast, "48": regCentralCoast, "51": regCentralCoast, "56": regCentralCoast,
	"52": regHighlands, "66": regHighlands, "68": regHighlands,
	"75": regSoutheast, "79": regSoutheast, "80": regSoutheast,
	"82": regMekong, "86": regMekong, "91": regMekong, "92": regMekong, "96": regMekong,
}

// attraction is each destination's pull on internal migrants, a judgement
// from the 2019 census migration chapter (the South East, Hà Nội and the
// industrial provinces around them receive most migrants).
var attraction = map[string]float64{
	"79": 1, "75": 0.8, "01": 0.6, "24": 0.5, "48": 0.4, "31": 0.3,
	"22": 0.3, "80": 0.3, "92": 0.2, "56": 0.2, "68": 0.15,
}

// Where the larger ethnic minorities live (current province codes), from
// the census's provincial tables in outline. A group puts homeShare of its
// people in its home provinces, in proportion to their population, and the
// rest everywhere; Kinh fill each province's remainder. So the national
// shares stay those of civil.Ethnicities while the map looks right.
var ethnicHome = map[string][]string{
	"02": {"04", "08", "15", "19", "20", "24"},       // Tày
	"03": {"11", "12", "14", "15", "38", "40"},       // Thái
	"04": {"79", "92", "91", "75", "22"},             // Hoa
	"05": {"91", "92", "86", "96"},                   // Khơ-me
	"06": {"25", "38", "37", "14"},                   // Mường
	"07": {"04", "20", "08", "19", "24", "66"},       // Nùng
	"08": {"08", "11", "12", "14", "15", "04", "40"}, // HMông
	"09": {"08", "15", "04", "20", "22", "19"},       // Dao
	"10": {"52"},                                     // Gia-rai
	"11": {"22", "24"},                               // Ngái
	"12": {"66"},                                     // Ê-đê
	"13": {"52", "51"},                               // Ba-na
	"14": {"51"},                                     // Xơ-đăng
	"15": {"08", "19", "24"},                         // Sán Chay
	"16": {"68"},                                     // Cơ-ho
	"17": {"56", "91", "79"},                         // Chăm
	"18": {"19", "25", "22", "24"},                   // Sán Dìu
	"19": {"51"},                                     // Hrê
	"20": {"68", "66"},                               // Mnông
	"21": {"56"},                                     // Ra-glai
	"22": {"75"},                                     // Xtiêng
	"23": {"44"},                                     // Bru-Vân Kiều
	"24": {"40", "38"},                               // Thổ
	"25": {"15", "12"},                               // Giáy
	"26": {"48", "46"},                               // Cơ-tu
	"27": {"48", "51"},                               // Gié-Triêng
	"28": {"68", "75"},                               // Mạ
	"29": {"40", "14", "11"},                         // Khơ-mú
	"30": {"51"},                                     // Co
	"31": {"46", "44"},                               // Tà-ôi
	"32": {"75"},                                     // Chơ-ro
	"33": {"14", "11"},                               // Kháng
	"34": {"14", "11"},                               // Xinh-mun
	"35": {"12", "11", "15"},                         // Hà Nhì
	"36": {"68"},                                     // Chu-ru
	"37": {"11", "14"},                               // Lào
	"38": {"08"},                                     // La Chí
	"39": {"14", "15"},                               // La Ha
	"40": {"15"},                                     // Phù Lá
	"41": {"12"},                                     // La Hủ
	"42": {"12"},                                     // Lự
	"43": {"04", "08"},                               // Lô Lô
	"44": {"44", "42"},                               // Chứt
	"45": {"12"},                                     // Mảng
	"46": {"08"},                                     // Pà Thẻn
	"47": {"08"},                                     // Cơ Lao
	"48": {"11", "12"},                               // Cống
	"49": {"15", "08"},                               // Bố Y
	"50": {"12", "11"},                               // Si La
	"51": {"08"},                                     // Pu Péo
	"52": {"51"},                                     // Brâu
	"53": {"40"},                                     // Ơ-đu
	"54": {"51"},                                     // Rơ-măm
}

const ethnicHomeShare = 0.95

// religionHome is the same idea for religions: home provinces and the share
// of followers living there. Buddhism and Bahá'í are spread nationally;
// "Không" fills the remainder.
var religionHome = map[string]struct {
	home  []string
	share float64
}{
	"02": {[]string{"37", "75", "79", "40", "42", "33", "66", "68"}, 0.5}, // Công giáo
	"03": {[]string{"91", "82", "92", "86"}, 0.97},                        // Hòa Hảo
	"04": {[]string{"91", "56", "79"}, 0.9},                               // Hồi giáo
	"05": {[]string{"80", "79", "82", "86", "92", "75"}, 0.9},             // Cao Đài
	"06": {[]string{"79", "92"}, 0.9},
	"07": {[]string{"79"}, 0.9},
	"08": {[]string{"52", "66", "68", "08", "15", "11", "12", "14", "79"}, 0.8}, // Tin lành
	"09": {[]string{"79", "86", "82", "92"}, 0.9},
	"10": {[]string{"91"}, 0.97},
	"11": {[]string{"91", "82"}, 0.97},
	"13": {[]string{"56"}, 0.98}, // Bà-la-môn (Chăm of Ninh Thuận)
	"14": {[]string{"79", "01"}, 0.8},
	"15": {[]string{"79", "52", "66"}, 0.7},
	"16": {[]string{"91"}, 0.98},
}

// Weights of communes within a province: the data has no commune
// populations, so wards (urban) count 1.5, communes 1, special zones
// (islands) 0.3.
const (
	wardWeight    = 1.5
	communeWeight = 1
	zoneWeight    = 0.3
)

var worlds sync.Map // *units.Registry → *world

func worldOf(reg *units.Registry) (*world, error) {
	if w, ok := worlds.Load(reg); ok {
		return w.(*world), nil
	}
	w, err := buildWorld(reg)
	if err != nil {
		return nil, err
	}
	actual, _ := worlds.LoadOrStore(reg, w)
	return actual.(*world), nil
}

func buildWorld(reg *units.Registry) (*world, error) {
	w := &world{ethnicities: civil.Ethnicities(), religions: civil.Religions()}
	provIndex := map[string]int{}
	for _, u := range reg.Provinces() {
		if u.Population <= 0 {
			return nil, fmt.Errorf("synth: province %s has no population", u)
		}
		p := &province{index: len(w.provinces), code: u.Code, pop: float64(u.Population),
			region: regionOf[u.Code], attract: attraction[u.Code]}
		p.south = p.region >= regHighlands || (p.region == regCentralCoast && u.Code >= "48")
		provIndex[u.Code] = p.index
		w.provinces = append(w.provinces, p)
	}
	if len(w.provinces) == 0 {
		return nil, fmt.Errorf("synth: the registry has no provinces")
	}

	// Legacy provinces and their birth-registration codes, read from the
	// registry's table rather than assumed to be "0"+code.
	legacyIndex := map[string]int{}
	for _, u := range reg.LegacyProvinces() {
		succ, ok := reg.Successor(u.Code)
		if !ok {
			return nil, fmt.Errorf("synth: legacy province %s has no successor", u)
		}
		pi, ok := provIndex[succ.Code]
		if !ok {
			return nil, fmt.Errorf("synth: successor %s of %s is not a current province", succ, u)
		}
		lp := &legacyProvince{code: u.Code, province: pi}
		legacyIndex[u.Code] = len(w.legacy)
		w.legacy = append(w.legacy, lp)
		w.provinces[pi].predecessors = append(w.provinces[pi].predecessors, legacyIndex[u.Code])
	}
	for n := 0; n < 1000; n++ {
		code := string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
		if u, ok := reg.ProvinceOfBirthRegistration(code); ok {
			if i, ok := legacyIndex[u.Code]; ok {
				w.legacy[i].pinCode = code
			}
		}
	}
	for _, lp := range w.legacy {
		if lp.pinCode == "" {
			return nil, fmt.Errorf("synth: legacy province %s has no birth-registration code", lp.code)
		}
		for _, c := range reg.LegacyCommunes(lp.code) {
			lp.births = append(lp.births, birthplace{key: c.Key().String(), legacy: legacyIndex[lp.code]})
		}
		if len(lp.births) == 0 {
			return nil, fmt.Errorf("synth: legacy province %s has no communes", lp.code)
		}
	}
	birthOf := map[string]birthplace{}
	for _, lp := range w.legacy {
		for _, b := range lp.births {
			birthOf[b.key] = b
		}
	}

	for _, p := range w.provinces {
		var weights []float64
		for _, u := range reg.Communes(p.code) {
			c := commune{code: u.Code, ward: u.Type == "Phường"}
			for _, old := range reg.Predecessors(u.Code) {
				if b, ok := birthOf[old.Key().String()]; ok {
					c.births = append(c.births, b)
				}
			}
			if len(c.births) == 0 { // a few new communes have no recorded predecessor
				for _, li := range p.predecessors {
					c.births = append(c.births, w.legacy[li].births...)
				}
			}
			p.communes = append(p.communes, c)
			switch u.Type {
			case "Phường":
				weights = append(weights, wardWeight)
			case "Đặc khu":
				weights = append(weights, zoneWeight)
			default:
				weights = append(weights, communeWeight)
			}
		}
		if len(p.communes) == 0 || len(p.predecessors) == 0 {
			return nil, fmt.Errorf("synth: province %s has no communes or no predecessors", p.code)
		}
		p.pick = newAlias(weights)
	}

	pops := make([]float64, len(w.provinces))
	origin := make([]float64, len(w.provinces))
	dest := make([]float64, len(w.provinces))
	for i, p := range w.provinces {
		pops[i] = p.pop
		origin[i] = p.pop * (1 - p.attract)
		dest[i] = p.pop * (0.2 + p.attract)
	}
	w.byPop = newAlias(pops)
	w.migrantOrigin = newAlias(origin)
	w.tempDest = newAlias(dest)

	ethW, err := regionalWeights(w, len(w.ethnicities), func(i int) (float64, []string, float64, bool) {
		e := w.ethnicities[i]
		home, ok := ethnicHome[e.Code]
		return float64(e.Population), home, ethnicHomeShare, ok || e.Code != "01"
	})
	if err != nil {
		return nil, err
	}
	relW, err := regionalWeights(w, len(w.religions), func(i int) (float64, []string, float64, bool) {
		r := w.religions[i]
		h, ok := religionHome[r.Code]
		return float64(r.Adherents), h.home, h.share, ok || r.Code != "00"
	})
	if err != nil {
		return nil, err
	}
	for i, p := range w.provinces {
		p.ethnicity = newAlias(ethW[i])
		p.religion = newAlias(relW[i])
	}
	return w, nil
}

// regionalWeights spreads n groups over the provinces. group(i) gives the
// group's national size, its home provinces, the share living there, and
// whether it is placed at all (false for the one filler group, Kinh or no
// religion, which takes each province's remainder).
func regionalWeights(w *world, n int, group func(int) (float64, []string, float64, bool)) ([][]float64, error) {
	var total, popTotal float64
	for i := range n {
		size, _, _, _ := group(i)
		total += size
	}
	for _, p := range w.provinces {
		popTotal += p.pop
	}
	out := make([][]float64, len(w.provinces))
	for i := range out {
		out[i] = make([]float64, n)
	}
	filler := -1
	for g := range n {
		size, home, share, placed := group(g)
		if !placed {
			filler = g
			continue
		}
		people := size / total * popTotal
		var homePop float64
		for _, code := range home {
			for _, p := range w.provinces {
				if p.code == code {
					homePop += p.pop
				}
			}
		}
		if homePop == 0 {
			share = 0
		}
		for i, p := range w.provinces {
			x := float64((1 - share) * people * p.pop / popTotal)
			for _, code := range home {
				if code == p.code {
					x += float64(share * people * p.pop / homePop)
				}
			}
			out[i][g] = x
		}
	}
	if filler < 0 {
		return nil, fmt.Errorf("synth: no filler group")
	}
	for i, p := range w.provinces {
		var placed float64
		for _, x := range out[i] {
			placed += x
		}
		// Where minorities are the majority the filler keeps a floor of
		// 3% (there are Kinh, and non-believers, everywhere).
		out[i][filler] = max(p.pop-placed, 0.03*p.pop)
	}
	return out, nil
}

// randomCommune draws a commune of province p.
func (w *world) randomCommune(r *wyrand.Rand, p *province) *commune {
	return &p.communes[p.pick.draw(r)]
}

// birthIn draws where a birth in legacy province li was registered.
func (w *world) birthIn(r *wyrand.Rand, li int) birthplace {
	b := w.legacy[li].births
	return b[r.Intn(len(b))]
}

// birthAt draws where a birth to a family living in commune c was
// registered before 2025: one of the communes it was formed from.
func (w *world) birthAt(r *wyrand.Rand, c *commune) birthplace {
	return c.births[r.Intn(len(c.births))]
}
