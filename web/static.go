package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/gin-gonic/gin"
)

type asset struct {
	body        []byte
	hash        string
	contentType string
}

// assets are the embedded static files, each with a content hash that
// versions its URL so that browsers may cache it for a year.
var assets = func() map[string]asset {
	m := map[string]asset{}
	err := fs.WalkDir(embedded, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[p[len("static/"):]] = asset{body: b, hash: hex.EncodeToString(sum[:])[:12], contentType: ct}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return m
}()

// assetURL is the template function "asset": the versioned URL of a static
// file, e.g. {{asset "site.css"}} → /static/site.css?v=1a2b3c4d5e6f.
func assetURL(name string) (string, error) {
	a, ok := assets[name]
	if !ok {
		return "", fs.ErrNotExist
	}
	return "/static/" + name + "?v=" + a.hash, nil
}

func (s *site) static(c *gin.Context) {
	name := path.Clean(c.Param("file"))[1:]
	a, ok := assets[name]
	if !ok {
		s.fail(c, http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", `"`+a.hash+`"`)
	if c.Query("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(c.Writer, c.Request, name, time.Time{}, bytes.NewReader(a.body))
}
