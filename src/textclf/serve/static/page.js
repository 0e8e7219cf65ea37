// The textclf page: list the models, classify a document (predict for the label and the
// bars, explain for the colours), show the model's facts. No libraries, no network beyond
// this server; paths are relative to the page, so it also works under a proxy's prefix.
// Text from users is only ever set as textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const models = new Map(); // name -> what GET /v1/models says about it
const CONTRIBUTIONS_SHOWN = 10;

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function call(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) {
    const message = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return data;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function percent(p) { return `${(100 * p).toFixed(1)}%`; }

function showBars(prediction) {
  const bars = $("bars");
  bars.replaceChildren();
  const entries = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]);
  for (const [label, p] of entries) {
    const track = element("div", undefined, "bar-track");
    const bar = element("div", undefined, label === prediction.label ? "bar best" : "bar");
    bar.style.width = percent(p);
    bar.dataset.label = label;
    track.append(bar);
    bars.append(element("span", label, "bar-label"), track, element("span", percent(p), "bar-value"));
  }
}

// The explanation of the predicted class's score; shares > 0 push towards that class.
// A sigmoid model explains one score, towards `label` and away from `opposite`.
function towardsPredicted(explanation) {
  const predicted = explanation.predicted;
  for (const c of explanation.classes) {
    if (c.label === predicted) return {cls: c, sign: 1};
    if (c.opposite === predicted) return {cls: c, sign: -1};
  }
  return {cls: explanation.classes[0], sign: 1};
}

function showHighlights(explanation) {
  const {cls, sign} = towardsPredicted(explanation);
  const shares = cls.word_shares.map((s) => sign * s);
  const largest = Math.max(1e-12, ...shares.map(Math.abs));
  const text = explanation.display_text;
  const box = $("highlighted");
  box.replaceChildren();
  let at = 0;
  explanation.tokens.forEach((token, i) => {
    if (token.start > at) box.append(text.slice(at, token.start));
    const span = element("span", text.slice(token.start, token.end), "term");
    const share = shares[i] || 0;
    if (share !== 0) {
      const colour = share > 0 ? "var(--towards)" : "var(--against)";
      const alpha = (0.12 + 0.68 * Math.abs(share) / largest).toFixed(3);
      span.style.background = `rgba(${colour}, ${alpha})`;
      span.classList.add(share > 0 ? "towards" : "against");
    }
    span.title = `${share >= 0 ? "+" : ""}${share.toFixed(4)}`;
    box.append(span);
    at = token.end;
  });
  if (at < text.length) box.append(text.slice(at));
  $("towards-label").textContent = explanation.predicted;

  $("contributions").querySelector("caption").textContent =
    `The largest contributions towards ${explanation.predicted}`;
  const body = $("contributions").querySelector("tbody");
  body.replaceChildren();
  for (const c of cls.contributions.slice(0, CONTRIBUTIONS_SHOWN)) {
    const row = element("tr");
    row.append(element("td", c.term), element("td", c.value.toFixed(3)),
               element("td", (sign * c.weight).toFixed(3)),
               element("td", (sign * c.contribution).toFixed(3)));
    body.append(row);
  }
  const baseline = explanation.exact ? "bias" : "empty-document score";
  $("score").textContent = `score of ${explanation.predicted}: ${(sign * cls.score).toFixed(3)} ` +
    `= ${baseline} ${(sign * cls.baseline).toFixed(3)} + the contributions` +
    (explanation.exact ? "" : ` + remainder ${(sign * cls.remainder).toFixed(3)}`) +
    ` (${explanation.method})`;
}

function showFacts(name) {
  const facts = models.get(name);
  if (!facts) return;
  const list = $("facts-list");
  list.replaceChildren();
  const last = facts.history.last || {};
  const rows = [
    ["name", facts.name], ["model", `${facts.model_name} (${facts.model_kind})`],
    ["classes", facts.labels.join(", ")], ["features", `${facts.n_features} (${facts.featurizer})`],
    ["training documents", facts.n_training_documents], ["epochs", facts.history.epochs],
  ];
  if (last.dev_accuracy !== undefined) rows.push(["last dev accuracy", percent(last.dev_accuracy)]);
  rows.push(["version", facts.version], ["file", facts.file.path], ["sha256", facts.file.sha256],
            ["loaded", facts.loaded_at]);
  if (facts.reload_error) rows.push(["newer file refused", facts.reload_error]);
  for (const [key, value] of rows) list.append(element("dt", key), element("dd", String(value)));
  const strongest = $("strongest");
  strongest.replaceChildren();
  for (const [label, features] of Object.entries(facts.strongest)) {
    const block = element("div");
    block.append(element("strong", `strongest towards ${label}`));
    const items = element("ol");
    for (const f of features.slice(0, 5)) items.append(element("li", `${f.term} (${f.weight.toFixed(2)})`));
    block.append(items);
    strongest.append(block);
  }
  $("facts").hidden = false;
}

function shareLink(name, text) {
  const query = new URLSearchParams({model: name, text: text});
  const url = `${location.pathname}?${query}`;
  history.replaceState(null, "", url);
  $("share").href = url;
  $("share").hidden = false;
}

async function classify() {
  const name = $("model").value;
  const text = $("text").value;
  showError("");
  if (!text.trim()) { showError("Type or paste a document first."); return; }
  $("classify").disabled = true;
  $("status").textContent = "classifying…";
  try {
    const path = `v1/models/${encodeURIComponent(name)}`;
    const [predicted, explanation] = await Promise.all([
      call(`${path}/predict`, {texts: [text]}), call(`${path}/explain`, {text: text}),
    ]);
    const prediction = predicted.predictions[0];
    $("label").textContent = prediction.label;
    $("probability").textContent = `probability ${prediction.probability.toFixed(3)}`;
    showBars(prediction);
    showHighlights(explanation);
    $("result").hidden = false;
    shareLink(name, text);
    $("status").textContent = `model version ${predicted.version}`;
  } catch (err) {
    $("status").textContent = "";
    showError(err.message);
  } finally {
    $("classify").disabled = false;
  }
}

async function start() {
  try {
    const listing = await call("v1/models");
    for (const model of listing.models) {
      models.set(model.name, model);
      $("model").append(element("option", model.name));
    }
  } catch (err) {
    showError(`The models could not be listed: ${err.message}`);
    return;
  }
  const query = new URLSearchParams(location.search);
  const wanted = query.get("model");
  if (wanted !== null) {
    if (models.has(wanted)) $("model").value = wanted;
    else showError(`No model named "${wanted}"; served: ${[...models.keys()].join(", ")}`);
  }
  showFacts($("model").value);
  $("model").addEventListener("change", () => showFacts($("model").value));
  $("classify").addEventListener("click", classify);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) classify();
  });
  if (query.get("text") !== null && (wanted === null || models.has(wanted))) {
    $("text").value = query.get("text");
    await classify();
  }
  document.body.dataset.ready = "true";
}

start();
