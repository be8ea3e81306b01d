/* Decision-table editor: edit, add and remove rule rows, then deploy them through the pipeline. */
(function () {
  "use strict";
  var root = document.getElementById("dmn-studio");
  if (!root) { return; }
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var body = document.getElementById("dmn-rows");

  function status(message, kind) {
    var box = document.getElementById("dmn-status");
    box.className = "alert alert-" + (kind || "info");
    box.textContent = message;
  }

  function values(row, cls) {
    return Array.prototype.map.call(row.querySelectorAll("input." + cls), function (i) { return i.value; });
  }

  function renumber() {
    Array.prototype.forEach.call(body.querySelectorAll("tr"), function (row, i) { row.querySelector(".row-no").textContent = i + 1; });
  }

  function rules() {
    return Array.prototype.map.call(body.querySelectorAll("tr"), function (row) {
      return { inputs: values(row, "dmn-in"), outputs: values(row, "dmn-out"), description: row.querySelector(".dmn-desc").value };
    });
  }

  function showProblems(list) {
    var ul = document.getElementById("dmn-problems");
    ul.innerHTML = "";
    list.forEach(function (p) { var li = document.createElement("li"); li.textContent = p; ul.appendChild(li); });
  }

  function save() {
    showProblems([]);
    fetch(root.dataset.saveUrl, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ rules: rules(), comment: document.getElementById("dmn-comment").value }) })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (answer) {
        if (answer.status === 200) { return status(answer.body.message, "success"); }
        var error = answer.body.error || {};
        status((error.message || "部署失败") + "，未保存任何内容", "error");
        showProblems((error.problems || []).map(function (p) { return p.message; }));
      });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) { return; }
    if (button.dataset.action === "save") { save(); }
    if (button.dataset.action === "remove") { button.closest("tr").remove(); renumber(); }
    if (button.dataset.action === "add") {
      var template = body.querySelector("tr");
      if (!template) { return; }
      var row = template.cloneNode(true);
      Array.prototype.forEach.call(row.querySelectorAll("input"), function (i) { i.value = i.classList.contains("dmn-in") ? "-" : ""; });
      body.appendChild(row);
      renumber();
    }
  });
})();
