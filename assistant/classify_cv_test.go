package assistant

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestClassifierCrossValidation is how the classifier's defaults were
// chosen: k-fold cross-validation on a training file only, so that a
// held-out set stays held out. It runs when MTS_CLASSIFY_CV names a JSONL
// file of {"text","label"} (e.g. the UIT-VSFC train split);
// MTS_CLASSIFY_CV_RUN, a regular expression, picks configurations by name.
//
//	MTS_CLASSIFY_CV=../../shared/eval/uit-vsfc/train.jsonl go test ./assistant -run CrossValidation -v
//
// Figures on UIT-VSFC train (11,426 lines, 5 folds, pooled out-of-fold
// predictions), accuracy / macro-F1 (per-class F1 in the test's log).
//
// The logistic regression alone (SingleModel), each line one change from
// what was its default (L-BFGS, L2 1e-4, class weight 0.5, tf-idf words,
// accents, bigrams and character 2–6-grams):
//
//	previous method (AdaGrad, binary words+bigrams)  0.852 / 0.729
//	single model                                     0.859 / 0.747
//	character 2–5-grams                              0.856 / 0.744
//	character 3–5-grams                              0.857 / 0.746
//	character 1–4-grams                              0.854 / 0.742
//	no character n-grams (WordsOnly)                 0.856 / 0.739
//	syllable trigrams too                            0.860 / 0.743
//	character block weight 0.5 (2–5)                 0.858 / 0.747
//	L2 3e-5 / 3e-4                                   0.857 / 0.741, 0.857 / 0.744
//	class weight 0 / 0.3 / 0.7 / 1                   0.857 / 0.703, 0.860 / 0.732,
//	                                                 0.849 / 0.744, 0.824 / 0.728
//	one-vs-rest linear SVM (dual CD), C 0.1 / 0.3    0.858 / 0.747, 0.858 / 0.746 (2–5)
//	logistic regression + SVM scores summed          0.857 / 0.746 (2–5)
//
// Other models alone and combined, from pooled out-of-fold probabilities
// (models combined by the normalised geometric mean of their
// probabilities):
//
//	NB-LR on word features, L2 1e-4, class weight 0.5    0.862 / 0.751
//	  class weight 0.3 / 0.7                             0.864 / 0.747, 0.853 / 0.746
//	  L2 3e-4; word trigrams too                         0.857 / 0.746, 0.858 / 0.741
//	NB-LR on words and characters, L2 1e-4, weight 0.5   0.861 / 0.751
//	  class weight 0; L2 3e-5; smoothing α 0.5           0.861 / 0.718, 0.860 / 0.746, 0.859 / 0.746
//	multinomial / complement naive Bayes, α 0.3          0.799 / 0.687, 0.814 / 0.664
//	cosine 20-nearest neighbours (tf-idf)                0.817 / 0.633
//	LR + NB-LR on words (the default)                    0.866 / 0.759
//	LR + NB-LR on words and characters                   0.865 / 0.756
//	LR + both NB-LRs                                     0.868 / 0.762
//	LR + NB-LR on words + 20-NN                          0.867 / 0.742
//	LR + complement NB                                   0.816 / 0.675
//	LR + NB-LR, prior correction −0.25·ln prior          0.858 / 0.757
//	LR + NB-LR, per-class offsets fitted for macro-F1
//	  on half the predictions, scored on the other half  0.864 / 0.757
//
// Naive Bayes is too sure of itself to combine well; shifting the decision
// by the class priors or by fitted per-class offsets gained nothing out of
// sample. The second NB-LR (on characters too) gains 0.2–0.3 points for
// three times the training time and was not kept.
//
// The default (LR + NB-LR on words, sharing L2 and class weight), each
// line one change:
//
//	default                                          0.866 / 0.759
//	class weight 0.3 / 0.7                           0.868 / 0.749, 0.860 / 0.758
//	L2 3e-5 / 3e-4                                   0.864 / 0.756, 0.863 / 0.753
//
// Per class, the default against the single model: facility 0.883 (0.867),
// lecturer 0.924 (0.918), others 0.491 (0.474), training_program 0.738
// (0.729). "others" — feedback on no one topic — stays the weak class: its
// texts share their words with the others' (dev errors such as "cực kỳ
// nhiệt tình" labelled others), which word-level models cannot undo.
//
// Session 5 tried other model families, on the same folds (the code was
// not kept; "+" is combined with the default by the geometric mean):
//
//	MLP, 64 ReLU units over the same features, dropout 0.2   0.856 / 0.736, + 0.866 / 0.755
//	  dropout 0.5, 20 epochs, tanh, L2, other rates          0.847–0.859 / 0.722–0.748, + ≈ 0.866 / 0.755
//	stacking: logistic regression over LR and NB-LR log-probabilities,
//	  class weight 0 / 0.5 / 1                               0.869 / 0.748, 0.856 / 0.754, 0.801 / 0.701
//	TextCNN over syllable embeddings (64 dims, widths 1–3,
//	  64 filters each, max-pool, dropout 0.5, AdaGrad 0.02)  0.869 / 0.767, + 0.872 / 0.768
//	  mean of three seeds                                    0.870 / 0.766, + 0.875 / 0.772
//
// The CNN with the default gains a point in cross-validation but 0.001 on
// dev (0.874 / 0.774 against 0.873 / 0.773) for 1.5 minutes more training,
// and was not kept. Many remaining errors read as label noise ("cô dạy
// nhiệt tình với sinh viên" labelled training_program, "i love thầy !"
// others).
func TestClassifierCrossValidation(t *testing.T) {
	path := os.Getenv("MTS_CLASSIFY_CV")
	if path == "" {
		t.Skip("MTS_CLASSIFY_CV names no training file")
	}
	ex, err := ReadExamplesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	spec := func(s featureSpec) *featureSpec { return &s }
	configs := []struct {
		name string
		opts ClassifierOptions
	}{
		{"default", ClassifierOptions{}},
		{"class weight 0.3", ClassifierOptions{ClassWeight: 0.3}},
		{"class weight 0.7", ClassifierOptions{ClassWeight: 0.7}},
		{"l2 3e-5", ClassifierOptions{L2: 3e-5}},
		{"l2 3e-4", ClassifierOptions{L2: 3e-4}},
		{"single model", ClassifierOptions{SingleModel: true}},
		{"single words only", ClassifierOptions{SingleModel: true, WordsOnly: true}},
		{"single char 2-5", ClassifierOptions{SingleModel: true, features: spec(featureSpec{CharMin: 2, CharMax: 5, CharWeight: 1})}},
		{"single char 3-5", ClassifierOptions{SingleModel: true, features: spec(featureSpec{CharMin: 3, CharMax: 5, CharWeight: 1})}},
		{"single trigrams", ClassifierOptions{SingleModel: true, features: spec(featureSpec{CharMin: 2, CharMax: 6, CharWeight: 1, Trigrams: true})}},
		{"single char weight 0.5", ClassifierOptions{SingleModel: true, features: spec(featureSpec{CharMin: 2, CharMax: 6, CharWeight: 0.5})}},
		{"single l2 3e-5", ClassifierOptions{SingleModel: true, L2: 3e-5}},
		{"single l2 3e-4", ClassifierOptions{SingleModel: true, L2: 3e-4}},
		{"single class weight 0", ClassifierOptions{SingleModel: true, ClassWeight: -1}},
		{"single class weight 0.3", ClassifierOptions{SingleModel: true, ClassWeight: 0.3}},
		{"single class weight 0.7", ClassifierOptions{SingleModel: true, ClassWeight: 0.7}},
		{"single class weight 1", ClassifierOptions{SingleModel: true, ClassWeight: 1}},
	}
	run, err := regexp.Compile(os.Getenv("MTS_CLASSIFY_CV_RUN"))
	if err != nil {
		t.Fatalf("MTS_CLASSIFY_CV_RUN: %v", err)
	}
	for _, cfg := range configs {
		if !run.MatchString(cfg.name) {
			continue
		}
		acc, f1, per := crossValidate(t, ex, cfg.opts, 5)
		t.Logf("%-24s accuracy %.4f  macro-F1 %.4f  %s", cfg.name, acc, f1, per)
	}
}

// crossValidate trains on k−1 folds and predicts the k-th, for each fold,
// and scores the pooled predictions.
func crossValidate(t *testing.T, ex []Example, opts ClassifierOptions, k int) (acc, macroF1 float64, per string) {
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	pred := make([]string, len(ex))
	var wg sync.WaitGroup
	sem := make(chan bool, 2)
	for fold := 0; fold < k; fold++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- true
			defer func() { <-sem }()
			var train []Example
			var test []int
			for p, i := range order {
				if p%k == fold {
					test = append(test, i)
				} else {
					train = append(train, ex[i])
				}
			}
			c, err := TrainClassifier(train, opts)
			if err != nil {
				t.Error(err)
				return
			}
			for _, i := range test {
				pred[i] = c.Classify(ex[i].Text).Topic
			}
		}()
	}
	wg.Wait()
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	labels := map[string]bool{}
	correct := 0
	for i, e := range ex {
		labels[e.Label] = true
		if pred[i] == e.Label {
			correct++
			tp[e.Label]++
		} else {
			fn[e.Label]++
			fp[pred[i]]++
		}
	}
	var names []string
	for l := range labels {
		names = append(names, l)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, l := range names {
		var f1 float64
		if tp[l] > 0 {
			p := float64(tp[l]) / float64(tp[l]+fp[l])
			r := float64(tp[l]) / float64(tp[l]+fn[l])
			f1 = 2 * p * r / (p + r)
		}
		macroF1 += f1
		fmt.Fprintf(&b, "%s %.3f ", l, f1)
	}
	return float64(correct) / float64(len(ex)), macroF1 / float64(len(names)), b.String()
}
