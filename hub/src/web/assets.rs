//! The pages' stylesheet and the pending page's script, served by the hub at
//! `{base}hub/static/…` rather than inline, so the Content-Security-Policy can forbid every
//! inline script and style (see `headers`).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Where the stylesheet is, under `{base}hub`.
pub(super) const CSS_PATH: &str = "/static/batchhub.css";
/// Where the pending page's script is, under `{base}hub`.
pub(super) const PENDING_JS_PATH: &str = "/static/pending.js";

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{display:flex;gap:1em;align-items:center;background:#1d3557;color:#fff;padding:.6em 1em}
header a{color:#fff}header .who{margin-left:auto}
main{max-width:60em;margin:1.5em auto;padding:0 1em}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #e76f00;outline-offset:2px}
.card{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}
.card dt{font-weight:bold}.card dd{margin:0}
.state{font-weight:bold}
.error{color:#b00020}.hint{color:#555}
.warning{border:2px solid #b35900;background:#fff4e5;padding:.5em;font-weight:bold}
form.inline{display:inline}label{display:block;font-weight:bold;margin-top:.8em}
.field{margin-bottom:.6em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
pre{background:#f4f4f4;padding:.5em;overflow:auto}
";

/// Updates the pending page from the progress stream; goes to the server when it is ready,
/// reloads (to show why) when the spawn failed. Static text: the URLs come from `data-`
/// attributes, escaped by the template.
const PENDING_JS: &str = r#"(function () {
  var box = document.getElementById("progress");
  if (!box || !window.EventSource) { return; }
  var message = document.getElementById("progress-message");
  var bar = document.getElementById("progress-bar");
  var source = new EventSource(box.dataset.progressUrl);
  source.onmessage = function (e) {
    var event;
    try { event = JSON.parse(e.data); } catch (err) { return; }
    if (event.message) { message.textContent = event.message; }
    if (typeof event.progress === "number") { bar.value = event.progress; }
    if (event.ready) { source.close(); window.location.href = box.dataset.serverUrl; }
    else if (event.failed) { source.close(); window.location.reload(); }
  };
})();
"#;

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Small, and changed only with the hub's version: an hour is plenty.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET {base}hub/static/batchhub.css`.
pub(super) async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

/// `GET {base}hub/static/pending.js`.
pub(super) async fn pending_js() -> Response {
    asset("text/javascript; charset=utf-8", PENDING_JS)
}
