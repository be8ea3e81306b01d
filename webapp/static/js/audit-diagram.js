/* The audit history diagram: the case's BPMN version in the bpmn-js NavigatedViewer, with the path taken,
   the current step and any refusal marked in colour. Marks come from the server (data-marks). */
(function () {
  "use strict";

  function visitedGateways(registry, visited) {
    registry.filter(function (el) { return /Gateway$/.test(el.type); }).forEach(function (gw) {
      var inFromPath = (gw.incoming || []).some(function (c) { return visited[c.source.id]; });
      var outToPath = (gw.outgoing || []).some(function (c) { return visited[c.target.id]; });
      if (inFromPath && outToPath) { visited[gw.id] = "done"; }
    });
  }

  function markPath(viewer, marks, status) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var visited = Object.assign({}, marks);
    registry.filter(function (el) { return el.type === "bpmn:StartEvent"; }).forEach(function (el) {
      visited[el.id] = "done";
    });
    visitedGateways(registry, visited);
    visitedGateways(registry, visited);
    if (status === "completed") {
      registry.filter(function (el) { return el.type === "bpmn:EndEvent"; }).forEach(function (el) {
        if ((el.incoming || []).some(function (c) { return visited[c.source.id]; })) { visited[el.id] = "done"; }
      });
    }
    Object.keys(visited).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "audit-" + visited[id]); }
    });
    registry.filter(function (el) { return el.type === "bpmn:SequenceFlow"; }).forEach(function (flow) {
      if (visited[flow.source.id] && visited[flow.target.id]) { canvas.addMarker(flow.id, "audit-flow"); }
    });
  }

  function showError(container) {
    var message = container.parentNode.querySelector(".diagram-error");
    if (message) { message.hidden = false; }
  }

  function render(container) {
    var marks = JSON.parse(container.getAttribute("data-marks") || "{}");
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport");
        markPath(viewer, marks, container.getAttribute("data-status"));
        container.setAttribute("data-rendered", "true");
      })
      .catch(function () { showError(container); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("audit-diagram");
    if (container && window.BpmnJS) { render(container); } else if (container) { showError(container); }
  });
})();
