package retrieval

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// LocalEmbedder is the default embedder: a bag-of-words encoder — folded
// syllables and syllable pairs, weighted by idf, summed over learned
// vectors and normalised — trained on the library's own text, so that it
// needs no external model. Training is self-supervised: an article's
// heading, and each of its sentences, should land near the article it
// comes from and away from the others in its batch (in-batch softmax),
// which half the time are articles of the same law;
// question/article pairs may be added. Training is deterministic for a
// given corpus, seed and options.
type LocalEmbedder struct {
	vocab map[string]int32
	idf   []float32
	vecs  []float32 // len(vocab) × dim
	dim   int
	name  string
}

// LocalEmbedderVersion changes when the features or the training change.
const LocalEmbedderVersion = "bow-2"

// TrainOptions configure LocalEmbedder training. Zero values take the
// defaults.
type TrainOptions struct {
	Dim        int                           // default 128
	Epochs     int                           // default 8
	Batch      int                           // default 128
	Rate       float64                       // Adagrad learning rate, default 0.2
	Temp       float64                       // softmax temperature, default 0.05
	MinDF      int                           // a feature must occur in this many passages, default 2
	MaxVocab   int                           // default 150000
	MaxFeat    int                           // features kept per text (highest weight first), default 256
	Seed       uint64                        // default 1
	Group      int                           // same-document pairs per run in a grouped batch, default 8; <0 groups none
	Sentences  int                           // sentences of each passage drawn each epoch, default 2
	GroupShare float64                       // share of pairs trained in grouped batches, default 0.5; <0 none
	Progress   func(epoch int, loss float64) // after each epoch, and with epoch 0 (loss NaN) when training starts
	Supervised []Pair                        // extra question → passage pairs
	// PairsName identifies what Supervised was made from, for LocalVectors
	// to tell whether a kept model learned from the same; empty means the
	// digest of the pairs themselves (PairsDigest).
	PairsName string
}

// TrainEpochs is the number of epochs training with o runs.
func TrainEpochs(o TrainOptions) int {
	o.defaults()
	return o.Epochs
}

// Pair is a training example: a query and the text that answers it.
// Passage, when it names a passage being trained on (a pseudo-question
// of the library, TeachPair), makes that passage the answer itself, so
// that it is never set against its own question as another's in a batch.
type Pair struct {
	Query, Text string
	Passage     string
}

func (o *TrainOptions) defaults() {
	if o.Dim <= 0 {
		o.Dim = 128
	}
	if o.Epochs <= 0 {
		o.Epochs = 8
	}
	if o.Batch <= 1 {
		o.Batch = 128
	}
	if o.Rate <= 0 {
		o.Rate = 0.2
	}
	if o.Temp <= 0 {
		o.Temp = 0.05
	}
	if o.MinDF <= 0 {
		o.MinDF = 2
	}
	if o.MaxVocab <= 0 {
		o.MaxVocab = 150000
	}
	if o.MaxFeat <= 0 {
		o.MaxFeat = 256
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Group == 0 {
		o.Group = 8
	}
	if o.Sentences <= 0 {
		o.Sentences = 2
	}
	if o.GroupShare == 0 {
		o.GroupShare = 0.5
	}
	if o.Group < 0 || o.GroupShare < 0 {
		o.Group, o.GroupShare = 0, 0
	}
	if o.GroupShare > 1 {
		o.GroupShare = 1
	}
}

// EmbedText is the text of a passage as the embedder reads it.
func EmbedText(p corpus.Passage) string {
	return p.Title + "\n" + p.Heading + "\n" + p.Text
}

// TrainLocalEmbedder learns an embedder from passages: from all of them up
// to MaxTrainPassages, else from the sample trainingSample keeps (and the
// supervised pairs of those passages).
func TrainLocalEmbedder(ctx context.Context, passages []corpus.Passage, o TrainOptions) (*LocalEmbedder, error) {
	o.defaults()
	all := len(passages)
	passages = trainingSample(passages)
	sampled := len(passages) < all
	if len(passages) < 2 {
		return nil, fmt.Errorf("retrieval: train embedder: %d passages, need at least 2", len(passages))
	}
	e := &LocalEmbedder{dim: o.Dim}
	texts := make([]string, len(passages))
	for i, p := range passages {
		texts[i] = EmbedText(p)
	}
	e.buildVocab(texts, o.MinDF, o.MaxVocab)
	e.name = fmt.Sprintf("local:%s:%s:d%d", LocalEmbedderVersion, e.fingerprint(), o.Dim)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6d74736f))
	scale := float32(1 / math.Sqrt(float64(o.Dim)))
	e.vecs = make([]float32, len(e.idf)*o.Dim)
	for i := range e.vecs {
		e.vecs[i] = (rng.Float32()*2 - 1) * scale
	}
	// Every text is analysed once: passages, their sentences, headings.
	docs := make([]termBag, len(passages))
	sents := make([][]termBag, len(passages))
	heads := make([]features, len(passages))
	for i, p := range passages {
		docs[i] = bagOf(e.counts(texts[i]))
		for _, s := range sentences(p.Text) {
			if c := e.counts(s); len(c) >= 3 {
				sents[i] = append(sents[i], bagOf(c))
			}
		}
		if h := strings.TrimSpace(p.Heading); h != "" {
			heads[i] = e.weigh(e.counts(h), o.MaxFeat)
		}
	}
	docFeats := make([]features, len(passages))
	for i := range docs {
		docFeats[i] = e.weighBag(docs[i], o.MaxFeat)
	}
	groups := map[string]int{}
	byTitle := map[string]int{}
	docGroup := make([]int, len(passages))
	for i, p := range passages {
		g, ok := groups[p.DocID]
		if !ok {
			g = len(groups)
			groups[p.DocID] = g
		}
		docGroup[i] = g
		if _, ok := byTitle[p.Title]; !ok && p.Title != "" {
			byTitle[p.Title] = g
		}
	}
	byID := make(map[string]int, len(passages))
	for i, p := range passages {
		byID[p.ID] = i
	}
	var sup []trainPair
	for j, sp := range o.Supervised {
		if i, ok := byID[sp.Passage]; ok && sp.Passage != "" {
			if q := e.features(sp.Query, o.MaxFeat); len(q.ids) > 0 && len(docFeats[i].ids) > 0 {
				sup = append(sup, trainPair{q, docFeats[i], i, docGroup[i]})
			}
			continue
		}
		if sampled && sp.Passage != "" {
			// A pseudo-question of a passage left out of the sample: its
			// text would be analysed anew for every such pair.
			continue
		}
		q, d := e.features(sp.Query, o.MaxFeat), e.features(sp.Text, o.MaxFeat)
		if len(q.ids) > 0 && len(d.ids) > 0 {
			sup = append(sup, trainPair{q, d, -1 - j, supervisedGroup(sp.Text, byTitle)})
		}
	}
	ex := examples{docs: docs, docFeats: docFeats, sents: sents, heads: heads, group: docGroup, supervised: sup}
	tr := trainer{e: e, o: o, accum: make([]float32, len(e.idf))}
	if o.Progress != nil {
		o.Progress(0, math.NaN()) // training starts
	}
	for epoch := 0; epoch < o.Epochs; epoch++ {
		pairs := e.samplePairs(ex, o, rng)
		var loss float64
		n := 0
		for _, b := range batches(pairs, o, rng) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			loss += tr.step(b)
			n++
		}
		if o.Progress != nil && n > 0 {
			o.Progress(epoch+1, loss/float64(n))
		}
	}
	return e, nil
}

type features struct {
	ids []int32
	w   []float32
}

type trainPair struct {
	q, d  features
	doc   int // passage index, so that a batch never holds two pairs of one passage as negatives of each other
	group int // document (law, procedure), whose other passages are the hard negatives; -1 for none
}

// termCounts32 counts vocabulary features in a text.
type termCounts32 map[int32]float32

// termBag is a text's counts in the order of the ids: what training keeps
// of every passage and sentence, in half the memory of a map.
type termBag struct {
	ids []int32
	c   []float32
}

func bagOf(m termCounts32) termBag {
	b := termBag{ids: make([]int32, 0, len(m)), c: make([]float32, len(m))}
	for id := range m {
		b.ids = append(b.ids, id)
	}
	slices.Sort(b.ids)
	for i, id := range b.ids {
		b.c[i] = m[id]
	}
	return b
}

// minus is b without the counts of s, the terms it leaves at zero dropped.
func (b termBag) minus(s termBag) termBag {
	out := termBag{ids: make([]int32, 0, len(b.ids)), c: make([]float32, 0, len(b.ids))}
	j := 0
	for k, id := range b.ids {
		c := b.c[k]
		for j < len(s.ids) && s.ids[j] < id {
			j++
		}
		if j < len(s.ids) && s.ids[j] == id {
			c -= s.c[j]
		}
		if c > 0 {
			out.ids = append(out.ids, id)
			out.c = append(out.c, c)
		}
	}
	return out
}

// examples is everything training samples from, analysed once.
type examples struct {
	docs       []termBag
	docFeats   []features
	sents      [][]termBag
	heads      []features
	group      []int // each passage's document
	supervised []trainPair
}

// samplePairs draws one epoch of training pairs: each passage's heading,
// and o.Sentences of its sentences — usually taken out of the passage (inverse
// cloze), so that the model learns what surrounds a sentence rather than
// to match it word for word.
func (e *LocalEmbedder) samplePairs(ex examples, o TrainOptions, rng *rand.Rand) []trainPair {
	var out []trainPair
	for i := range ex.docs {
		if len(ex.heads[i].ids) > 0 {
			out = append(out, trainPair{ex.heads[i], ex.docFeats[i], i, ex.group[i]})
		}
		ss := ex.sents[i]
		if len(ss) == 0 {
			continue
		}
		for k := 0; k < o.Sentences; k++ {
			s := ss[rng.IntN(len(ss))]
			d := ex.docFeats[i]
			if len(ss) > 1 && rng.Float32() < 0.9 {
				d = e.weighBag(ex.docs[i].minus(s), o.MaxFeat)
			}
			out = append(out, trainPair{e.weighBag(s, o.MaxFeat), d, i, ex.group[i]})
		}
	}
	return append(out, ex.supervised...)
}

// supervisedGroup finds the document of a question's gold text by its
// first line, the document's title; -1 when no passage has that title.
func supervisedGroup(text string, byTitle map[string]int) int {
	title, _, _ := strings.Cut(text, "\n")
	if g, ok := byTitle[strings.TrimSpace(title)]; ok {
		return g
	}
	return -1
}

// batches shuffles one epoch's pairs and cuts them into batches of
// o.Batch. A share o.GroupShare of the pairs goes into grouped batches,
// made of runs of up to o.Group pairs from one document: random batches
// mostly set a passage against other laws, so the model would never learn
// to tell apart the neighbouring articles of one law, which is where
// retrieval errs. The rest stays in random batches, which keep the
// documents apart from each other. A partial last batch is dropped.
func batches(pairs []trainPair, o TrainOptions, rng *rand.Rand) [][]trainPair {
	rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	var grouped, random []trainPair
	if o.Group > 0 {
		n := int(o.GroupShare * float64(len(pairs)))
		grouped, random = pairs[:n], pairs[n:]
	} else {
		random = pairs
	}
	// Stable: the shuffle decides the order within a document.
	sort.SliceStable(grouped, func(i, j int) bool { return grouped[i].group < grouped[j].group })
	var runs [][]trainPair
	for i := 0; i < len(grouped); {
		j := i + 1
		for j < len(grouped) && j-i < o.Group && grouped[j].group == grouped[i].group && grouped[i].group >= 0 {
			j++
		}
		runs = append(runs, grouped[i:j])
		i = j
	}
	rng.Shuffle(len(runs), func(i, j int) { runs[i], runs[j] = runs[j], runs[i] })
	ordered := make([]trainPair, 0, len(grouped))
	for _, r := range runs {
		ordered = append(ordered, r...)
	}
	var out [][]trainPair
	for _, ps := range [][]trainPair{ordered, random} {
		for b := 0; b+o.Batch <= len(ps); b += o.Batch {
			out = append(out, ps[b:b+o.Batch])
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// sentences splits a passage into its clauses, points and sentences.
func sentences(text string) []string {
	var out []string
	for _, ln := range strings.Split(text, "\n") {
		for _, s := range strings.SplitAfter(ln, ". ") {
			if s = strings.TrimSpace(s); len(s) > 20 {
				out = append(out, s)
			}
		}
	}
	return out
}

func (e *LocalEmbedder) buildVocab(texts []string, minDF, maxVocab int) {
	df := map[string]int{}
	for _, t := range texts {
		seen := map[string]bool{}
		for _, tok := range (viTokenizer{}).Tokenize([]byte(t)) {
			s := string(tok.Term)
			if !seen[s] {
				seen[s] = true
				df[s]++
			}
		}
	}
	type kv struct {
		t string
		n int
	}
	var all []kv
	for t, n := range df {
		if n >= minDF && n < len(texts) {
			all = append(all, kv{t, n})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].t < all[j].t
	})
	if len(all) > maxVocab {
		all = all[:maxVocab]
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t < all[j].t })
	e.vocab = make(map[string]int32, len(all))
	e.idf = make([]float32, len(all))
	n := float64(len(texts))
	for i, kv := range all {
		e.vocab[kv.t] = int32(i)
		e.idf[i] = float32(math.Log(1 + n/float64(kv.n)))
	}
}

func (e *LocalEmbedder) fingerprint() string {
	h := sha256.New()
	keys := make([]string, 0, len(e.vocab))
	for k := range e.vocab {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// features maps a text to its weighted vocabulary features: (1+log tf)·idf,
// the strongest max kept.
func (e *LocalEmbedder) features(text string, max int) features {
	return e.weigh(e.counts(text), max)
}

// counts counts the terms of text the vocabulary holds: its words and
// word pairs, as the keyword index reads them (queryTerms).
func (e *LocalEmbedder) counts(text string) termCounts32 {
	counts := termCounts32{}
	uni, bi := queryTerms(text)
	for _, terms := range [2][]string{uni, bi} {
		for _, t := range terms {
			if id, ok := e.vocab[t]; ok {
				counts[id]++
			}
		}
	}
	return counts
}

func (e *LocalEmbedder) weigh(counts termCounts32, max int) features {
	f := features{ids: make([]int32, 0, len(counts)), w: make([]float32, 0, len(counts))}
	for id, c := range counts {
		f.ids = append(f.ids, id)
		f.w = append(f.w, (1+float32(math.Log(float64(c))))*e.idf[id])
	}
	return e.strongest(f, max)
}

// weighBag is weigh of a bag: the same features.
func (e *LocalEmbedder) weighBag(b termBag, max int) features {
	f := features{ids: make([]int32, len(b.ids)), w: make([]float32, len(b.ids))}
	for k, id := range b.ids {
		f.ids[k] = id
		f.w[k] = (1 + float32(math.Log(float64(b.c[k])))) * e.idf[id]
	}
	return e.strongest(f, max)
}

// strongest keeps the max heaviest of f's features (the lower id first
// among equals), in the order of their ids: the same whatever order f
// came in.
func (e *LocalEmbedder) strongest(f features, max int) features {
	if len(f.ids) > max {
		idx := make([]int, len(f.ids))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool {
			if f.w[idx[a]] != f.w[idx[b]] {
				return f.w[idx[a]] > f.w[idx[b]]
			}
			return f.ids[idx[a]] < f.ids[idx[b]]
		})
		ids, w := make([]int32, max), make([]float32, max)
		for i := 0; i < max; i++ {
			ids[i], w[i] = f.ids[idx[i]], f.w[idx[i]]
		}
		f.ids, f.w = ids, w
	}
	// Sorted by id, so that sums run in one order on every run.
	idx := make([]int, len(f.ids))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return f.ids[idx[a]] < f.ids[idx[b]] })
	ids, w := make([]int32, len(idx)), make([]float32, len(idx))
	for i, j := range idx {
		ids[i], w[i] = f.ids[j], f.w[j]
	}
	return features{ids, w}
}

// encode sums the feature vectors; it returns the raw sum and its norm.
func (e *LocalEmbedder) encode(f features, out []float32) float32 {
	for i := range out {
		out[i] = 0
	}
	d := e.dim
	for k, id := range f.ids {
		w := f.w[k]
		row := e.vecs[int(id)*d : int(id)*d+d]
		for i, x := range row {
			out[i] += w * x
		}
	}
	var n float64
	for _, x := range out {
		n += float64(x) * float64(x)
	}
	return float32(math.Sqrt(n))
}

type trainer struct {
	e     *LocalEmbedder
	o     TrainOptions
	accum []float32 // Adagrad: per-row sum of squared gradients
}

// step runs one batch of in-batch softmax and returns its mean loss.
func (t *trainer) step(batch []trainPair) float64 {
	d := t.e.dim
	B := len(batch)
	vq := make([]float32, B*d)
	vd := make([]float32, B*d)
	nq := make([]float32, B)
	nd := make([]float32, B)
	for i, p := range batch {
		nq[i] = t.e.encode(p.q, vq[i*d:(i+1)*d])
		nd[i] = t.e.encode(p.d, vd[i*d:(i+1)*d])
		if nq[i] == 0 {
			nq[i] = 1
		}
		if nd[i] == 0 {
			nd[i] = 1
		}
		vscale(vq[i*d:(i+1)*d], 1/nq[i])
		vscale(vd[i*d:(i+1)*d], 1/nd[i])
	}
	inv := float32(1 / t.o.Temp)
	gq := make([]float32, B*d)
	gd := make([]float32, B*d)
	var loss float64
	row := make([]float64, B)
	for i := 0; i < B; i++ {
		max := math.Inf(-1)
		for j := 0; j < B; j++ {
			s := float64(vdot(vq[i*d:(i+1)*d], vd[j*d:(j+1)*d]) * inv)
			if j != i && batch[j].doc == batch[i].doc {
				s = math.Inf(-1) // the same passage is not a negative
			}
			row[j] = s
			if s > max {
				max = s
			}
		}
		var z float64
		for j := range row {
			row[j] = math.Exp(row[j] - max)
			z += row[j]
		}
		loss -= math.Log(row[i]/z + 1e-12)
		for j := 0; j < B; j++ {
			g := row[j] / z
			if j == i {
				g -= 1
			}
			if g == 0 {
				continue
			}
			gs := float32(g) * inv / float32(B)
			vaxpy(gq[i*d:(i+1)*d], gs, vd[j*d:(j+1)*d])
			vaxpy(gd[j*d:(j+1)*d], gs, vq[i*d:(i+1)*d])
		}
	}
	for i, p := range batch {
		t.apply(p.q, vq[i*d:(i+1)*d], gq[i*d:(i+1)*d], nq[i])
		t.apply(p.d, vd[i*d:(i+1)*d], gd[i*d:(i+1)*d], nd[i])
	}
	return loss / float64(B)
}

// apply back-propagates a gradient on a normalised vector u = v/|v| into
// the feature rows that summed to v.
func (t *trainer) apply(f features, u, gu []float32, norm float32) {
	d := t.e.dim
	// g_v = (g_u − u (u·g_u)) / |v|
	ug := vdot(u, gu)
	gv := make([]float32, d)
	var sq float32
	for i := range gv {
		gv[i] = (gu[i] - u[i]*ug) / norm
		sq += gv[i] * gv[i]
	}
	sq /= float32(d)
	lr := float32(t.o.Rate)
	for k, id := range f.ids {
		w := f.w[k]
		t.accum[id] += w * w * sq
		step := lr * w / float32(math.Sqrt(float64(t.accum[id])+1e-8))
		row := t.e.vecs[int(id)*d : int(id)*d+d]
		for i := range row {
			row[i] -= step * gv[i]
		}
	}
}

func vdot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func vaxpy(dst []float32, a float32, x []float32) {
	for i := range dst {
		dst[i] += a * x[i]
	}
}

func vscale(v []float32, a float32) {
	for i := range v {
		v[i] *= a
	}
}

// Embed returns normalised vectors; a text with no known word gets the zero
// vector.
func (e *LocalEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, e.dim)
		if n := e.encode(e.features(t, 1<<30), v); n > 0 {
			vscale(v, 1/n)
		}
		out[i] = v
	}
	return out, nil
}

// Dimension is the length of the vectors.
func (e *LocalEmbedder) Dimension() int { return e.dim }

// Name identifies the model: its version, vocabulary and dimension.
func (e *LocalEmbedder) Name() string { return e.name }

const localMagic = "MTSEMB01"

// ErrModelCorrupt is returned when a saved model fails its checksum.
var ErrModelCorrupt = errors.New("embedder model file is corrupt")

// Save writes the model to path atomically (temporary file, fsync, rename).
func (e *LocalEmbedder) Save(path string) error {
	b, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".embedder-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// MarshalBinary is the model as Save writes it, with its CRC at the end:
// what the database keeps of it (Models).
func (e *LocalEmbedder) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(localMagic) + 16 + len(e.name) + 4*(len(e.idf)+len(e.vecs)) + 12*len(e.idf))
	crc := crc32.NewIEEE()
	w := bufio.NewWriter(io.MultiWriter(&buf, crc))
	terms := make([]string, len(e.idf))
	for t, id := range e.vocab {
		terms[id] = t
	}
	write := func(v any) { binary.Write(w, binary.LittleEndian, v) }
	w.WriteString(localMagic)
	write(uint32(e.dim))
	write(uint32(len(e.name)))
	w.WriteString(e.name)
	write(uint32(len(terms)))
	for _, t := range terms {
		write(uint16(len(t)))
		w.WriteString(t)
	}
	write(e.idf)
	write(e.vecs)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	binary.Write(&buf, binary.LittleEndian, crc.Sum32())
	return buf.Bytes(), nil
}

// LoadLocalEmbedder reads a model written by Save; a damaged file gives
// an error wrapping ErrModelCorrupt.
func LoadLocalEmbedder(path string) (*LocalEmbedder, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e, err := UnmarshalLocalEmbedder(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// UnmarshalLocalEmbedder reads a model written by MarshalBinary; damaged
// bytes give an error wrapping ErrModelCorrupt.
func UnmarshalLocalEmbedder(b []byte) (*LocalEmbedder, error) {
	corrupt := func(why string) error { return fmt.Errorf("%w: %s", ErrModelCorrupt, why) }
	if len(b) < len(localMagic)+4 || string(b[:len(localMagic)]) != localMagic {
		return nil, corrupt("not a model file")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, corrupt("checksum mismatch")
	}
	r := &byteReader{b: body[len(localMagic):]}
	e := &LocalEmbedder{dim: int(r.u32())}
	e.name = string(r.bytes(int(r.u32())))
	n := int(r.u32())
	e.vocab = make(map[string]int32, n)
	for i := 0; i < n && r.err == nil; i++ {
		e.vocab[string(r.bytes(int(r.u16())))] = int32(i)
	}
	e.idf = r.floats(n)
	e.vecs = r.floats(n * e.dim)
	if r.err != nil || len(r.b) != 0 {
		return nil, corrupt("truncated or malformed")
	}
	return e, nil
}

type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *byteReader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *byteReader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *byteReader) floats(n int) []float32 {
	b := r.bytes(4 * n)
	if b == nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
