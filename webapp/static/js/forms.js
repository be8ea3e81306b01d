/* 明细子表 (add / remove rows), confirmation for decisive buttons, and the comment hint for 退回/不同意. */
(function () {
  "use strict";

  function rowIndex(row, name) {
    var field = row.querySelector("[name^='" + name + "-']");
    if (!field) { return -1; }
    var match = field.name.slice(name.length + 1).match(/^(\d+)-/);
    return match ? parseInt(match[1], 10) : -1;
  }

  function nextIndex(table, name) {
    var rows = table.querySelectorAll("tbody[data-rows] > tr"), max = -1;
    rows.forEach(function (row) { max = Math.max(max, rowIndex(row, name)); });
    return max + 1;
  }

  function addRow(table) {
    var name = table.getAttribute("data-subtable");
    var template = table.querySelector("template[data-row-template]");
    var body = table.querySelector("tbody[data-rows]");
    var index = String(nextIndex(table, name));
    var row = template.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[name], [id]").forEach(function (el) {
      ["name", "id", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.split("__index__").join(index)); }
      });
    });
    body.appendChild(row);
    var first = row.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  function clearRow(row) {
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
    });
    row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
  }

  function removeRow(button) {
    var row = button.closest("tr");
    var body = row.parentNode;
    if (body.children.length > 1) { row.remove(); } else { clearRow(row); }
  }

  function needsComment(button) {
    var form = button.form;
    var comment = form && form.querySelector("textarea[name='comment']");
    if (!comment || button.getAttribute("data-needs-comment") === null || comment.value.trim()) { return false; }
    var box = comment.closest(".field");
    if (box && !box.querySelector(".field-error")) {
      var message = document.createElement("p");
      message.className = "field-error";
      message.textContent = "选择“" + button.textContent.trim() + "”时必须填写审批意见";
      box.appendChild(message);
    }
    if (box) { box.classList.add("has-error"); }
    comment.focus();
    return true;
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-file-picker]")) { return; }
    var names = Array.prototype.map.call(event.target.files, function (file) { return file.name; });
    var shown = event.target.parentNode.querySelector("[data-file-names]");
    if (shown) { shown.textContent = names.length ? "已选择：" + names.join("、") : "未选择文件"; }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-add-row], [data-remove-row], [data-confirm], [data-back]");
    if (!target) { return; }
    if (target.hasAttribute("data-back")) {
      if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
    } else if (target.hasAttribute("data-add-row")) {
      addRow(target.closest("[data-subtable]"));
    } else if (target.hasAttribute("data-remove-row")) {
      removeRow(target);
    } else if (needsComment(target)) {
      event.preventDefault();
    } else if (!window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
}());
