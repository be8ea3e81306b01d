/* Reviewer workspace: print button, saved phrases (常用语) into the opinion, select-all for batch approval. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var print = event.target.closest("[data-print]");
    if (print) { window.print(); return; }
    var phrase = event.target.closest("[data-phrase]");
    if (phrase) {
      var box = document.getElementById(phrase.getAttribute("data-target") || "comment");
      if (box) { box.value = box.value ? box.value + phrase.getAttribute("data-phrase") : phrase.getAttribute("data-phrase"); box.focus(); }
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name='task_ids']").forEach(function (box) { box.checked = event.target.checked; });
    }
  });
}());
