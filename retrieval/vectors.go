package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/mattranso/mattranso/corpus"
)

// BuildVectors trains a local embedder on every passage of the keyword
// index, embeds them all and stores them in a new embedded vector store in
// dir. It is what a fresh library, and the evaluation, start from.
func BuildVectors(ctx context.Context, k *Keyword, dir string, o TrainOptions) (*EmbeddedVectors, *LocalEmbedder, error) {
	ps, err := k.Passages(ctx)
	if err != nil {
		return nil, nil, err
	}
	emb, err := TrainLocalEmbedder(ctx, ps, o)
	if err != nil {
		return nil, nil, err
	}
	v, err := OpenEmbeddedVectors(dir, emb.Dimension(), emb.Name())
	if err != nil {
		return nil, nil, err
	}
	if err := EmbedPassages(ctx, emb, v, ps); err != nil {
		v.Close()
		return nil, nil, err
	}
	return v, emb, nil
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
	var ps []corpus.Passage
	passages := func() error {
		if ps == nil {
			ps, err = k.Passages(ctx)
		}
		return err
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
		if err := passages(); err != nil {
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
		if err := passages(); err != nil {
			v.Close()
			return nil, nil, false, err
		}
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
		if err := EmbedPassages(ctx, emb, v, ps); err != nil {
			v.Close()
			return nil, nil, false, err
		}
	}
	return emb, v, trained, nil
}

// SyncVectors makes a vector store hold exactly the keyword index's
// passages when their counts differ, embedding them all with emb — for a
// configured embedding server and Qdrant, where the store cannot simply be
// discarded.
func SyncVectors(ctx context.Context, k *Keyword, emb Embedder, v VectorStore) error {
	ps, err := k.Passages(ctx)
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
	if n == len(ps) && !fresh {
		return nil
	}
	docs := map[string]bool{}
	for _, p := range ps {
		docs[p.DocID] = true
	}
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	if err := v.DeleteDocs(ctx, ids...); err != nil {
		return err
	}
	return EmbedPassages(ctx, emb, v, ps)
}
