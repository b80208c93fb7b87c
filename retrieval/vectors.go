package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2"

	"github.com/mattranso/mattranso/corpus"
)

// BuildVectors trains a local embedder on the passages of the keyword
// index (TrainingPassages), embeds them all and stores them in a new
// embedded vector store in dir. It is what a fresh library, and the
// evaluation, start from.
func BuildVectors(ctx context.Context, k *Keyword, dir string, o TrainOptions) (*EmbeddedVectors, *LocalEmbedder, error) {
	ps, err := TrainingPassages(ctx, k)
	if err != nil {
		return nil, nil, err
	}
	emb, err := TrainLocalEmbedder(ctx, ps, o)
	if err != nil {
		return nil, nil, err
	}
	ps = nil
	v, err := OpenEmbeddedVectors(dir, emb.Dimension(), emb.Name())
	if err != nil {
		return nil, nil, err
	}
	if err := EmbedIndex(ctx, emb, v, k); err != nil {
		v.Close()
		return nil, nil, err
	}
	return v, emb, nil
}

// MaxTrainPassages caps the passages the local embedder learns from.
// Training holds every passage's and sentence's term counts (some 60 KB a
// passage), so a library beyond it trains on a sample: the vocabulary and
// the model need a library's kinds of text, not every copy of them. Every
// passage is still embedded.
const MaxTrainPassages = 60000

// trainCap is MaxTrainPassages; the tests lower it.
var trainCap = MaxTrainPassages

// trainingSample keeps the trainCap passages whose ids hash lowest, in
// their order: the same passages whatever order they come in, and mostly
// the same ones when the library grows. A library within the cap is
// returned whole.
func trainingSample(ps []corpus.Passage) []corpus.Passage {
	if len(ps) <= trainCap {
		return ps
	}
	hashes := make([]uint64, len(ps))
	for i, p := range ps {
		hashes[i] = sampleHash(p.ID)
	}
	cut := sampleCut(hashes)
	var out []corpus.Passage
	for i, p := range ps {
		if hashes[i] <= cut && len(out) < trainCap {
			out = append(out, p)
		}
	}
	return out
}

// sampleCut is the trainCap-th lowest of hashes.
func sampleCut(hashes []uint64) uint64 {
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	return sorted[trainCap-1]
}

// sampleHash spreads ids over the whole range: FNV alone leaves the high
// bits of ids that differ in their last letters ("9.000123#…") alike, so
// it is mixed further (the finaliser of splitmix64).
func sampleHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// TrainingPassages reads the passages the local embedder and the
// library's lessons learn from: every passage of the keyword index up to
// MaxTrainPassages, else the sample trainingSample keeps — found from the
// ids alone, then read a page at a time, so that the other passages are
// never all held.
func TrainingPassages(ctx context.Context, k *Keyword) ([]corpus.Passage, error) {
	n, err := k.Count()
	if err != nil {
		return nil, err
	}
	if n <= uint64(trainCap) {
		return k.Passages(ctx)
	}
	hashes := make([]uint64, 0, n)
	err = k.eachPassagePage(ctx, nil, func(page []corpus.Passage) error {
		for _, p := range page {
			hashes = append(hashes, sampleHash(p.ID))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(hashes) <= trainCap {
		return k.Passages(ctx)
	}
	cut := sampleCut(hashes)
	hashes = nil
	var out []corpus.Passage
	err = k.eachPassagePage(ctx, passageFields, func(page []corpus.Passage) error {
		for _, p := range page {
			if sampleHash(p.ID) <= cut && len(out) < trainCap {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// passageFields are the stored fields a corpus.Passage is read from.
var passageFields = []string{"doc_id", "kind", "anchor", "title", "heading", "text"}

// eachPassagePage hands the index's passages, with the stored fields
// named (none: their ids alone), to fn a page at a time in the order of
// their ids; the page is reused.
func (k *Keyword) eachPassagePage(ctx context.Context, fields []string, fn func([]corpus.Passage) error) error {
	var after []string
	page := make([]corpus.Passage, 0, memBuildPage)
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), memBuildPage, 0, false)
		req.Fields = fields
		req.SortBy([]string{"_id"})
		req.SearchAfter = after
		res, err := k.idx.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("retrieval: list passages: %w", err)
		}
		if len(res.Hits) == 0 {
			return nil
		}
		page = page[:0]
		for _, h := range res.Hits {
			str := func(f string) string { s, _ := h.Fields[f].(string); return s }
			page = append(page, corpus.Passage{ID: h.ID, DocID: str("doc_id"), Kind: corpus.Kind(str("kind")),
				Anchor: str("anchor"), Title: str("title"), Heading: str("heading"), Text: str("text")})
		}
		if err := fn(page); err != nil {
			return err
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}

// EmbedIndex embeds every passage of the keyword index into v, reading
// them a page at a time.
func EmbedIndex(ctx context.Context, emb Embedder, v VectorStore, k *Keyword) error {
	return k.eachPassagePage(ctx, passageFields, func(page []corpus.Passage) error {
		return EmbedPassages(ctx, emb, v, page)
	})
}

// EmbedPassages embeds passages in batches and upserts their vectors.
func EmbedPassages(ctx context.Context, emb Embedder, v VectorStore, ps []corpus.Passage) error {
	const batch = 256
	for i := 0; i < len(ps); i += batch {
		part := ps[i:min(i+batch, len(ps))]
		texts := make([]string, len(part))
		for j, p := range part {
			texts[j] = EmbedText(p)
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return fmt.Errorf("retrieval: embed passages: %w", err)
		}
		recs := make([]VectorRecord, len(part))
		for j, p := range part {
			recs[j] = VectorRecord{ID: p.ID, DocID: p.DocID, Kind: p.Kind, Vector: vecs[j]}
		}
		if err := v.Upsert(ctx, recs); err != nil {
			return err
		}
	}
	return nil
}

// localMeta is kept beside the local model: what it was trained on.
type localMeta struct {
	Passages int    `json:"passages"`
	Model    string `json:"model"`
	Pairs    string `json:"pairs,omitempty"` // digest of the judged pairs it also learned from
	// Version and SHA256 name the database's version this file is a copy
	// of (Models.LoadEmbedder); empty for a model trained without one.
	Version int64  `json:"version,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
}

// PairsDigest identifies a set of training pairs; "" for none.
func PairsDigest(pairs []Pair) string {
	if len(pairs) == 0 {
		return ""
	}
	lines := make([]string, len(pairs))
	for i, p := range pairs {
		lines[i] = p.Query + "\x00" + p.Text
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Retrain is the share of passages added or removed since training above
// which the local embedder is trained again.
const Retrain = 0.10

// LocalVectors loads the local embedder kept in dir — training it when it
// is missing, damaged or stale (the corpus changed by more than Retrain,
// or o.Supervised is not the set of pairs it learned from, as
// o.PairsName names it) —
// and opens the embedded vector store beside it, re-embedding every
// passage when the store is new, was discarded, or does not hold exactly
// the keyword index's passages. trained reports whether a model was
// trained. With no passages it returns nils: there is nothing to learn from.
func LocalVectors(ctx context.Context, k *Keyword, dir string, o TrainOptions) (emb *LocalEmbedder, v *EmbeddedVectors, trained bool, err error) {
	// The passages themselves are read only to train or embed: a library
	// opened again needs their number alone.
	count, err := k.Count()
	if err != nil || count < 2 {
		return nil, nil, false, err
	}
	modelPath := filepath.Join(dir, "embedder.bin")
	metaPath := filepath.Join(dir, "embedder.json")
	var meta localMeta
	if b, err := os.ReadFile(metaPath); err == nil {
		json.Unmarshal(b, &meta)
	}
	emb, err = LoadLocalEmbedder(modelPath)
	pairs := o.PairsName
	if pairs == "" {
		pairs = PairsDigest(o.Supervised)
	}
	stale := err != nil || meta.Model != emb.Name() || meta.Pairs != pairs ||
		math.Abs(float64(int(count)-meta.Passages)) > Retrain*float64(max(meta.Passages, 1))
	if stale {
		ps, err := TrainingPassages(ctx, k)
		if err != nil {
			return nil, nil, false, err
		}
		if emb, err = TrainLocalEmbedder(ctx, ps, o); err != nil {
			return nil, nil, false, err
		}
		if err := emb.Save(modelPath); err != nil {
			return nil, nil, false, fmt.Errorf("retrieval: save embedder: %w", err)
		}
		b, _ := json.Marshal(localMeta{Passages: int(count), Model: emb.Name(), Pairs: pairs})
		if err := os.WriteFile(metaPath, b, 0o644); err != nil {
			return nil, nil, false, err
		}
		trained = true
	}
	vdir := filepath.Join(dir, "vectors")
	v, err = OpenEmbeddedVectors(vdir, emb.Dimension(), emb.Name())
	if err != nil {
		return nil, nil, false, err
	}
	n, err := v.Count(ctx)
	if err != nil {
		v.Close()
		return nil, nil, false, err
	}
	if n != int(count) {
		if n > 0 {
			// Out of step (a run cut short, or orphans): start over.
			v.Close()
			if err := os.RemoveAll(vdir); err != nil {
				return nil, nil, false, err
			}
			if v, err = OpenEmbeddedVectors(vdir, emb.Dimension(), emb.Name()); err != nil {
				return nil, nil, false, err
			}
		}
		if err := EmbedIndex(ctx, emb, v, k); err != nil {
			v.Close()
			return nil, nil, false, err
		}
	}
	return emb, v, trained, nil
}

// SyncVectors makes a vector store hold exactly the keyword index's
// passages when their counts differ, embedding them all with emb — for a
// configured embedding server and Qdrant, where the store cannot simply be
// discarded. The passages are read a page at a time.
func SyncVectors(ctx context.Context, k *Keyword, emb Embedder, v VectorStore) error {
	count, err := k.Count()
	if err != nil {
		return err
	}
	n, err := v.Count(ctx)
	if err != nil {
		return err
	}
	fresh := false
	switch s := v.(type) {
	case *EmbeddedVectors:
		fresh = s.Fresh
	case *Qdrant:
		fresh = s.Fresh
	}
	if uint64(n) == count && !fresh {
		return nil
	}
	docs := map[string]bool{}
	err = k.eachPassagePage(ctx, []string{"doc_id"}, func(page []corpus.Passage) error {
		for _, p := range page {
			docs[p.DocID] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	if err := v.DeleteDocs(ctx, ids...); err != nil {
		return err
	}
	return EmbedIndex(ctx, emb, v, k)
}
