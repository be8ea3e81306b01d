/* The audit history diagram: the case's BPMN version in the bpmn-js NavigatedViewer, with the path taken,
   the current step and any refusal marked in colour. Marks come from the server (data-marks). */
(function () {
  "use strict";
  var READABLE_ZOOM = 0.6;

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

  /* A whole diagram too small to read is shown at a readable zoom around the current step (drag to see the rest). */
  function readable(viewer) {
    var canvas = viewer.get("canvas");
    if (canvas.zoom() >= READABLE_ZOOM) { return; }
    var current = viewer.get("elementRegistry").filter(function (e) { return canvas.hasMarker(e, "audit-current"); })[0];
    var box = canvas.viewbox();
    var width = box.outer.width / READABLE_ZOOM, height = box.outer.height / READABLE_ZOOM;
    var cx = current ? current.x + current.width / 2 : box.inner.x + width / 2 - 20;
    var cy = current ? current.y + current.height / 2 : box.inner.y + height / 2 - 20;
    canvas.viewbox({ x: cx - width / 2, y: cy - height / 2, width: width, height: height });
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
        readable(viewer);
        container.setAttribute("data-rendered", "true");
      })
      .catch(function () { showError(container); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("audit-diagram");
    if (container && window.BpmnJS) { render(container); } else if (container) { showError(container); }
  });
})();
