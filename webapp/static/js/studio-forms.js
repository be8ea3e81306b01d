/* Form editor: live server-rendered preview of the JSON Schema, and deploy of the edited form. */
(function () {
  "use strict";
  var root = document.getElementById("form-studio");
  if (!root) { return; }
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var text = document.getElementById("schema-text");
  var statusBox = document.getElementById("form-status");
  var timer = null;

  function status(message, kind) { statusBox.className = "alert alert-" + (kind || "info"); statusBox.textContent = message; }

  function post(url, payload) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(payload),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }

  function errorText(body) {
    var error = body.error || {};
    var details = (error.problems || []).map(function (p) { return p.message; });
    var fields = Object.keys(error.fields || {}).map(function (k) { return error.fields[k]; });
    return [error.message].concat(details, fields).filter(Boolean).join("；");
  }

  function preview() {
    post(root.dataset.previewUrl, { schema: text.value }).then(function (answer) {
      if (answer.status !== 200) { return status(errorText(answer.body), "error"); }
      document.getElementById("form-preview").innerHTML = answer.body.html;
      status("预览已更新", "info");
    });
  }

  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 400); });
  document.getElementById("form-save").addEventListener("click", function () {
    post(root.dataset.saveUrl, { schema: text.value, comment: document.getElementById("form-comment").value })
      .then(function (answer) {
        if (answer.status === 200) { status(answer.body.message, "success"); } else { status(errorText(answer.body), "error"); }
      });
  });
})();
