package ingest

import "github.com/mattranso/mattranso/corpus"

// catalogEntry is what the library knows of a law beyond what the dumps
// carry: the dumps name a law either by its number or by its name, rarely
// both, and never give its dates.
type catalogEntry struct {
	Number, Title, Type, Issuer, IssuedAt, EffectiveAt string
}

const quocHoi = "Quốc hội"

// catalog lists the laws of the shipped dumps. A law missing here is still
// ingested, named as its dump names it.
var catalog = []catalogEntry{
	{"91/2015/QH13", "Bộ luật Dân sự 2015", "Bộ luật", quocHoi, "2015-11-24", "2017-01-01"},
	{"100/2015/QH13", "Bộ luật Hình sự 2015", "Bộ luật", quocHoi, "2015-11-27", "2018-01-01"},
	{"01/VBHN-VPQH", "Bộ luật Hình sự (văn bản hợp nhất năm 2017)", "Văn bản hợp nhất", "Văn phòng Quốc hội", "2017-07-10", ""},
	{"45/2019/QH14", "Bộ luật Lao động 2019", "Bộ luật", quocHoi, "2019-11-20", "2021-01-01"},
	{"24/2018/QH14", "Luật An ninh mạng 2018", "Luật", quocHoi, "2018-06-12", "2019-01-01"},
	{"68/2020/QH14", "Luật Cư trú 2020", "Luật", quocHoi, "2020-11-13", "2021-07-01"},
	{"52/2014/QH13", "Luật Hôn nhân và gia đình 2014", "Luật", quocHoi, "2014-06-19", "2015-01-01"},
	{"93/2015/QH13", "Luật Tố tụng hành chính 2015", "Luật", quocHoi, "2015-11-25", "2016-07-01"},
	{"58/2010/QH12", "Luật Viên chức 2010", "Luật", quocHoi, "2010-11-15", "2012-01-01"},
	{"43/2019/QH14", "Luật Giáo dục 2019", "Luật", quocHoi, "2019-06-14", "2020-07-01"},
	{"54/2010/QH12", "Luật Trọng tài thương mại 2010", "Luật", quocHoi, "2010-06-17", "2011-01-01"},
	{"57/2020/QH14", "Luật Thanh niên 2020", "Luật", quocHoi, "2020-06-16", "2021-01-01"},
	{"104/2016/QH13", "Luật Tiếp cận thông tin 2016", "Luật", quocHoi, "2016-04-06", "2018-07-01"},
	{"09/2017/QH14", "Luật Du lịch 2017", "Luật", quocHoi, "2017-06-19", "2018-01-01"},
	{"73/2021/QH14", "Luật Phòng, chống ma túy 2021", "Luật", quocHoi, "2021-03-30", "2022-01-01"},
	{"13/2022/QH15", "Luật Phòng, chống bạo lực gia đình 2022", "Luật", quocHoi, "2022-11-14", "2023-07-01"},
	{"05/2022/QH15", "Luật Điện ảnh 2022", "Luật", quocHoi, "2022-06-15", "2023-01-01"},
	{"63/2014/QH13", "Luật Tổ chức Viện kiểm sát nhân dân 2014", "Luật", quocHoi, "2014-11-24", "2015-06-01"},
	{"", "Hiến pháp 2013", "Hiến pháp", quocHoi, "2013-11-28", "2014-01-01"},
}

// fromCatalog fills what the catalogue knows into a law matched by number
// or by title.
func fromCatalog(d *corpus.Document) {
	keys := map[string]bool{}
	for _, k := range corpus.IdentityKeys(d) {
		keys[k] = true
	}
	for _, e := range catalog {
		hit := e.Number != "" && keys["no:"+corpus.NormalizeNumber(e.Number)]
		if !hit && keys["t:"+corpus.TitleKey(e.Title)] && yearsAgree(d, e.Title) {
			hit = true
		}
		if !hit {
			continue
		}
		if d.Number == "" {
			d.Number = e.Number
		}
		if d.Title == "" || corpus.LooksLikeNumber(d.Title) || !hasYear(d.Title) {
			if d.Title != "" && d.Title != e.Title {
				d.Aliases = appendUnique(d.Aliases, d.Title)
			}
			d.Title = e.Title
		}
		set := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		set(&d.Type, e.Type)
		set(&d.Issuer, e.Issuer)
		set(&d.IssuedAt, e.IssuedAt)
		set(&d.EffectiveAt, e.EffectiveAt)
		return
	}
}
