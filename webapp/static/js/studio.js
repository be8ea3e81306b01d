/* The admin studio's BPMN editor: load a deployed version into bpmn-js, edit it, validate and deploy it,
   and show a refused deploy's problems in a list and on the diagram. */
(function () {
  "use strict";
  var root = document.getElementById("studio");
  if (!root || !window.BpmnJS) { return; }
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var statusBox = document.getElementById("studio-status");
  var problemsBox = document.getElementById("studio-problems");
  var roles = JSON.parse(root.dataset.roles);
  var forms = JSON.parse(root.dataset.forms);
  var marked = [];
  var READABLE_ZOOM = 0.8;
  var PALETTE_WIDTH = 110;
  var modeler = new window.BpmnJS({ container: "#canvas", moddleExtensions: { spiffworkflow: window.BaguanSpiffModdle } });
  new window.BaguanStudioProps(modeler, document.getElementById("properties"), { forms: forms, roles: roles });

  function status(text, kind) {
    statusBox.className = "alert alert-" + (kind || "info");
    statusBox.textContent = text;
  }

  /* Fit the whole diagram, but never below a zoom where the step names can still be read; pan for the rest. */
  function readableZoom(canvas) {
    canvas.zoom("fit-viewport");
    if (canvas.zoom() >= READABLE_ZOOM) { return; }
    var box = canvas.viewbox();
    canvas.viewbox({ x: box.inner.x - PALETTE_WIDTH, y: box.inner.y - 20,
                     width: box.outer.width / READABLE_ZOOM, height: box.outer.height / READABLE_ZOOM });
  }

  function load(xml) {
    return modeler.importXML(xml).then(function (result) {
      readableZoom(modeler.get("canvas"));
      var warnings = (result.warnings || []).length;
      status(warnings ? "已载入，但有 " + warnings + " 处无法识别的内容" : "已载入，可以编辑", warnings ? "warning" : "info");
      root.setAttribute("data-ready", "1");
    }).catch(function (err) { status("无法打开流程图：" + err.message, "error"); });
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function clearProblems() {
    var canvas = modeler.get("canvas");
    marked.forEach(function (id) { canvas.removeMarker(id, "studio-problem"); });
    marked = [];
    modeler.get("overlays").remove({ type: "studio-problem" });
    problemsBox.hidden = true;
    problemsBox.querySelector("ul").innerHTML = "";
  }

  function showProblems(problems) {
    clearProblems();
    var list = problemsBox.querySelector("ul");
    var registry = modeler.get("elementRegistry");
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.textContent = problem.message;
      var element = problem.element && registry.get(problem.element);
      if (element) {
        item.setAttribute("data-element", problem.element);
        item.className = "problem-link";
        item.addEventListener("click", function () { select(element); });
        mark(element);
      }
      list.appendChild(item);
    });
    problemsBox.hidden = false;
  }

  function mark(element) {
    if (marked.indexOf(element.id) >= 0) { return; }
    marked.push(element.id);
    modeler.get("canvas").addMarker(element.id, "studio-problem");
    if (!element.waypoints) {
      var badge = document.createElement("span");
      badge.className = "studio-badge";
      badge.textContent = "!";
      modeler.get("overlays").add(element.id, "studio-problem", { position: { top: -10, right: 10 }, html: badge });
    }
  }

  function select(element) {
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element);
  }

  function withXml(action) {
    return modeler.saveXML({ format: true }).then(function (saved) { return action(saved.xml); });
  }

  function validate() {
    status("正在校验…");
    return withXml(function (xml) { return post(root.dataset.validateUrl, { xml: xml }); }).then(function (answer) {
      if (answer.status !== 200) { return status(answer.body.error ? answer.body.error.message : "校验失败", "error"); }
      if (answer.body.ok) { clearProblems(); status("校验通过，可以部署", "success"); }
      else { showProblems(answer.body.problems); status("校验未通过：共 " + answer.body.problems.length + " 个问题", "error"); }
    });
  }

  function deploy() {
    var comment = document.getElementById("deploy-comment").value.trim();
    if (!comment) { status("请填写部署说明：为什么修改", "error"); document.getElementById("deploy-comment").focus(); return; }
    status("正在部署…");
    return withXml(function (xml) { return post(root.dataset.deployUrl, { xml: xml, comment: comment }); }).then(function (answer) {
      if (answer.status === 200) {
        clearProblems();
        status(answer.body.message, "success");
        return;
      }
      var problems = (answer.body.error && answer.body.error.problems) || [];
      if (problems.length) { showProblems(problems); }
      status((answer.body.error ? answer.body.error.message : "部署失败") + "，未保存任何内容", "error");
    });
  }

  function download() {
    withXml(function (xml) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
      link.download = "diagram.bpmn";
      link.click();
    });
  }

  function fillInsertChoices() {
    var roleSelect = document.getElementById("insert-role");
    roles.forEach(function (r) { roleSelect.appendChild(new Option(r[1], r[0])); });
    var formSelect = document.getElementById("insert-form");
    formSelect.appendChild(new Option("（无表单，只填审批意见）", ""));
    forms.forEach(function (f) { formSelect.appendChild(new Option(f, f)); });
  }

  var actions = { validate: validate, deploy: deploy, download: download,
    insert: function () { window.BaguanStudioInsert(modeler, status); } };
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) { actions[button.dataset.action](); }
  });
  document.getElementById("open-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (file) { file.text().then(load); }
  });
  fillInsertChoices();
  fetch(root.dataset.sourceUrl, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(load);
  window.baguanStudio = { modeler: modeler };
})();
