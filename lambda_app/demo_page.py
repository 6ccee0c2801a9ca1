"""The demo page served at `GET /`: one self-contained HTML document (inline CSS and script, no fetches
of scripts, styles or fonts), kept in a Python module so the image's `COPY lambda_app/*.py` ships it.

The page calls the API on its own origin with relative URLs computed from `location.pathname`, so it works
at an API's root (the `$default` stage) and under a prefix (a named stage, or the local target's
`/{api_id}/`): `GET <base>health` for the model's name and version, `POST <base>translate` to translate.
"""
from __future__ import annotations

import base64
import hashlib
import html

SAMPLE = "Les deux chiens marchent dans le parc."
# Clickable examples, one row per kind of sentence the model was trained on (helpers/train/corpus.py KINDS).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "être, avoir": ("Je suis très content.", "Nous avons un petit chien."),
    "questions": ("Est-ce que tu aimes le chocolat ?", "Où travailles-tu ?"),
    "past, future": ("Hier, nous avons regardé un film.", "Demain, je vais visiter le musée."),
    "negation": ("Elle ne boit pas de café.", "Il n'y a pas de lait."),
    "weather, time": ("Il fait froid aujourd'hui.", "Il est huit heures."),
    "everyday phrases": ("Bonjour, Paul !", "Je m'appelle Sophie et j'habite à Lyon."),
}

STYLE = """
:root { color-scheme: light dark; --ink: #1d2330; --muted: #5d6678; --line: #d9dee8; --card: #fff;
  --bg: #f3f5f9; --accent: #2f5bea; --accent-ink: #fff; --warn-bg: #fff6e0; --warn: #7a5300;
  --err-bg: #fdecec; --err: #9b1c1c; }
@media (prefers-color-scheme: dark) { :root { --ink: #e7eaf1; --muted: #9aa3b5; --line: #323a4b;
  --card: #1b2130; --bg: #11151f; --accent: #6d8dff; --accent-ink: #0b1020; --warn-bg: #3a2f12;
  --warn: #ffd37a; --err-bg: #3d1a1a; --err: #ffb4b4; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: start center; background: var(--bg);
  color: var(--ink); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(680px, 100% - 2rem); margin: 3rem 0; background: var(--card); border: 1px solid var(--line);
  border-radius: 14px; padding: 1.75rem; box-shadow: 0 8px 30px rgb(0 0 0 / 0.06); }
h1 { margin: 0; font-size: 1.5rem; letter-spacing: -0.01em; }
.sub { margin: 0.25rem 0 1.25rem; color: var(--muted); font-size: 0.92rem; }
label { display: block; font-weight: 600; margin-bottom: 0.4rem; }
textarea { width: 100%; min-height: 5.5rem; resize: vertical; padding: 0.75rem 0.85rem; font: inherit;
  color: inherit; background: transparent; border: 1px solid var(--line); border-radius: 10px; }
textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
.row { display: flex; align-items: center; gap: 1rem; margin: 0.9rem 0 1.25rem; }
button { font: inherit; font-weight: 600; padding: 0.6rem 1.4rem; border: 0; border-radius: 10px;
  background: var(--accent); color: var(--accent-ink); cursor: pointer; }
button:disabled { opacity: 0.6; cursor: progress; }
.hint { color: var(--muted); font-size: 0.85rem; }
.out { border-top: 1px solid var(--line); padding-top: 1.1rem; }
.en { font-size: 1.35rem; font-weight: 500; min-height: 2rem; margin: 0; }
.en.placeholder { color: var(--muted); font-weight: 400; font-size: 1rem; }
.note { margin: 0.9rem 0 0; padding: 0.6rem 0.85rem; border-radius: 10px; font-size: 0.92rem; }
.warn { background: var(--warn-bg); color: var(--warn); }
.err { background: var(--err-bg); color: var(--err); }
.word { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 600; }
.meta { margin-top: 0.9rem; color: var(--muted); font-size: 0.85rem; }
.examples { margin: 0 0 1.1rem; font-size: 0.85rem; color: var(--muted); }
.examples div { margin: 0.2rem 0; }
.ex { font: inherit; font-weight: 400; padding: 0.1rem 0.55rem; margin: 0.1rem 0.15rem; border-radius: 999px;
  border: 1px solid var(--line); background: transparent; color: var(--ink); cursor: pointer; }
a { color: var(--accent); }
footer { margin-top: 1.5rem; color: var(--muted); font-size: 0.8rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85em; }
"""

SCRIPT = """
"use strict";
const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
const $ = (id) => document.getElementById(id);
const show = (el, on) => { el.hidden = !on; };

async function getJson(response) {
  try { return await response.json(); } catch (e) { return {}; }
}

async function loadModel() {
  try {
    const r = await fetch(base + "health", {headers: {"Accept": "application/json"}});
    const h = await getJson(r);
    $("model").textContent = r.ok ? `${h.name} \\u00b7 version ${h.version} \\u00b7 ${h.runtime} runtime`
                                  : (h.error || `model unavailable (HTTP ${r.status})`);
  } catch (e) {
    $("model").textContent = "model information unavailable";
  }
}

function showUnknown(words) {
  const box = $("unknown");
  box.replaceChildren();
  if (!words || !words.length) { show(box, false); return; }
  box.append(words.length === 1 ? "The model has never seen the word " : "The model has never seen the words ");
  words.forEach((w, i) => {
    if (i) box.append(i === words.length - 1 ? " and " : ", ");
    const span = document.createElement("span");
    span.className = "word";
    span.textContent = w;
    box.append(span);
  });
  box.append(words.length === 1 ? ": it reads it as unknown, so this translation may be wrong."
                                 : ": it reads them as unknown, so this translation may be wrong.");
  show(box, true);
}

function showDoubt(body) {
  const box = $("doubt");
  if (!body.low_confidence || (body.unknown && body.unknown.length)) { show(box, false); return; }
  box.textContent = `The model is unsure of this translation (confidence ${Math.round(body.confidence * 100)}%): `
                  + "the sentence may use words or a construction it was not trained on.";
  show(box, true);
}

async function translate(event) {
  if (event) event.preventDefault();
  const button = $("go");
  button.disabled = true;
  show($("error"), false);
  const started = performance.now();
  try {
    const r = await fetch(base + "translate", {method: "POST", headers: {"Content-Type": "application/json"},
                                               body: JSON.stringify({sentence: $("fr").value})});
    const body = await getJson(r);
    const trip = Math.round(performance.now() - started);
    if (!r.ok) {
      $("error").textContent = body.error || `The API answered HTTP ${r.status}.`;
      show($("error"), true);
      showUnknown([]);
      showDoubt({});
      $("en").textContent = "No translation.";
      $("en").classList.add("placeholder");
      $("meta").textContent = `HTTP ${r.status} \\u00b7 ${trip} ms round trip`;
      return;
    }
    $("en").textContent = body.en;
    $("en").classList.remove("placeholder");
    showUnknown(body.unknown);
    showDoubt(body);
    $("meta").textContent = `translated in ${(body.duration * 1000).toFixed(1)} ms on the server \\u00b7 `
                          + `${trip} ms round trip`;
  } catch (e) {
    $("error").textContent = "The API could not be reached: " + e.message;
    show($("error"), true);
  } finally {
    button.disabled = false;
  }
}

$("form").addEventListener("submit", translate);
document.querySelectorAll(".ex").forEach((b) => b.addEventListener("click", () => {
  $("fr").value = b.textContent;
  $("form").requestSubmit();
}));
$("vocab").href = base + "vocabulary";
$("fr").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("form").requestSubmit();
});
loadModel();
"""

def _examples_html() -> str:
    rows = []
    for kind, sentences in EXAMPLES.items():
        buttons = "".join(f'<button type="button" class="ex">{html.escape(s)}</button>' for s in sentences)
        rows.append(f"    <div><span>{html.escape(kind)}:</span> {buttons}</div>")
    return "\n".join(rows)


HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>French to English translator</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
</head>
<body>
<main>
  <h1>French &rarr; English</h1>
  <p class="sub" id="model">loading the model&hellip;</p>
  <form id="form">
    <label for="fr">French sentence</label>
    <textarea id="fr" name="sentence" maxlength="500" spellcheck="false">{SAMPLE}</textarea>
    <div class="row">
      <button id="go" type="submit">Translate</button>
      <span class="hint">or Ctrl+Enter</span>
    </div>
  </form>
  <section class="examples" id="examples" aria-label="Example sentences">
    Try a beginner's sentence (or see <a id="vocab" href="vocabulary">the words the model knows</a>):
{_examples_html()}
  </section>
  <section class="out" aria-live="polite">
    <p class="en placeholder" id="en">The English translation appears here.</p>
    <p class="note warn" id="unknown" hidden></p>
    <p class="note warn" id="doubt" hidden></p>
    <p class="note err" id="error" role="alert" hidden></p>
    <div class="meta" id="meta"></div>
  </section>
  <footer>A small PyTorch sequence-to-sequence model with attention, served by AWS Lambda.
    API: <code>POST translate</code> with <code>{{"sentence": "..."}}</code>, <code>GET health</code>,
    <code>GET vocabulary</code>.</footer>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


# Only this page's own inline style and script run, and it may only call its own origin. No frame-ancestors: 03
# shows the page in an IFrame inside JupyterLab (another origin), and the page holds no credentials to hijack.
CSP = (f"default-src 'none'; style-src {_sha256(STYLE)}; script-src {_sha256(SCRIPT)}; connect-src 'self'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

HEADERS: dict[str, str] = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP,
                           "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
