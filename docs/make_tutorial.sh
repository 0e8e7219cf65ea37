#!/usr/bin/env bash
# Re-run docs/tutorial.md: rewrite the outputs it shows (docs/make_outputs.py) and refresh
# the images it shows.
# Usage: docs/make_tutorial.sh [WORKDIR]   (needs: pip install -e '.[builtin,plots]')
# The tutorial's commands run in WORKDIR/tutorial/repo, whose files stay there.
set -euo pipefail
DOCS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${1:-$(mktemp -d)}"
python "$DOCS/make_outputs.py" "$DOCS/tutorial.md" --workdir "$WORK"
cd "$WORK/tutorial/repo"
export NO_COLOR=1

# the XOR models' reports, for their loss and accuracy curves
textclf report xor-logistic.textclf xor.jsonl -o xor-logistic-report > /dev/null
textclf report xor-mlp.textclf xor.jsonl -o xor-mlp-report > /dev/null

for name in loss accuracy features confusion roc pr; do
    cp "rt-report/$name.png" "$DOCS/images/rt_$name.png"
done
cp xor-logistic-report/loss.png "$DOCS/images/xor_logistic_loss.png"
cp xor-mlp-report/loss.png "$DOCS/images/xor_mlp_loss.png"
cp xor-mlp-report/accuracy.png "$DOCS/images/xor_mlp_accuracy.png"
echo "the tutorial's files in $WORK/tutorial/repo, images in $DOCS/images" >&2
