#!/usr/bin/env bash
# Re-run every command of docs/tutorial.md and refresh the images it shows.
# Usage: docs/make_tutorial.sh [WORKDIR]   (needs: pip install -e '.[builtin,plots]')
# The command outputs land in WORKDIR/out/*.txt, to paste into the tutorial where they changed.
set -euo pipefail
DOCS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK/out"
cd "$WORK"
export NO_COLOR=1  # plain text, as pasted in the tutorial

python - > out/features.txt <<'PY'
from textclf.features import Featurizer
docs = ["a gripping story", "a flat story", "gripping , never flat"]
f = Featurizer(ngrams=2, min_df=1, weighting="binary")
X = f.fit_transform(docs)
print(f.feature_names())
print(X.toarray())
t = Featurizer(ngrams=2, min_df=1)  # the default weighting: tf-idf
print(t.fit_transform(docs).toarray().round(2)[0])
PY
python - > out/sigmoid.txt <<'PY'
from textclf.models.functional import sigmoid
print(sigmoid([-4.0, -1.0, 0.0, 1.0, 4.0]).round(4))
PY

textclf train builtin:rt -o rt.textclf --eta 5 --schedule constant --epochs 10 --weighting tfidf --char-ngrams none > out/train.txt 2>&1
textclf gradcheck --model logistic --classes 2 > out/gradcheck_logistic.txt 2>&1
textclf gradcheck --model mlp > out/gradcheck_mlp.txt 2>&1
textclf inspect rt.textclf --top 8 > out/inspect.txt
textclf explain rt.textclf "a gripping story, but the dialogue is flat and too long" --top 8 \
    > out/explain.txt
textclf report rt.textclf builtin:rt -o rt-report > out/report.txt
python -c "import json; r = json.load(open('rt-report/report.json')); \
print(json.dumps(r['most_confidently_wrong'][:3], indent=1))" > out/wrong.txt
textclf explain rt.textclf "it never fails to engage us ." --top 8 > out/explain_wrong.txt

python - <<'PY'
import json
rows = [("doc", "0"), ("doc alpha", "1"), ("doc beta", "1"), ("doc alpha beta", "0")]
with open("xor.jsonl", "w") as f:
    for _ in range(25):
        for text, label in rows:
            f.write(json.dumps({"text": text, "label": label}) + "\n")
PY
XOR_FEATURES="--ngrams 1 --weighting binary --min-df 1"
textclf train xor.jsonl -o xor-logistic.textclf $XOR_FEATURES --epochs 30 > out/xor_logistic.txt 2>&1
textclf train xor.jsonl -o xor-mlp.textclf $XOR_FEATURES --model mlp --hidden 4 \
    --activation tanh --eta 0.05 --epochs 30 > out/xor_mlp.txt 2>&1
textclf train xor.jsonl -o xor-bigrams.textclf --ngrams 2 --weighting binary --min-df 1 \
    --epochs 30 -q > out/xor_bigrams.txt 2>&1
textclf test xor-bigrams.textclf xor.jsonl > out/xor_bigrams_test.txt
textclf inspect xor-mlp.textclf > out/xor_inspect.txt
textclf explain xor-mlp.textclf "doc alpha beta" > out/xor_explain_both.txt
textclf explain xor-mlp.textclf "doc alpha" > out/xor_explain_alpha.txt
textclf report xor-logistic.textclf xor.jsonl -o xor-logistic-report > out/xor_logistic_report.txt
textclf report xor-mlp.textclf xor.jsonl -o xor-mlp-report > out/xor_mlp_report.txt

for name in loss accuracy features confusion roc pr; do
    cp "rt-report/$name.png" "$DOCS/images/rt_$name.png"
done
cp xor-logistic-report/loss.png "$DOCS/images/xor_logistic_loss.png"
cp xor-mlp-report/loss.png "$DOCS/images/xor_mlp_loss.png"
cp xor-mlp-report/accuracy.png "$DOCS/images/xor_mlp_accuracy.png"
echo "outputs in $WORK/out, images in $DOCS/images" >&2
