/* "插入审核步骤": a review step after the selected element, in the lane of the chosen role
   (added at the bottom when the diagram has none), with the old outgoing flow routed through it. */
(function () {
  "use strict";
  var GAP = 170;

  function value(id) { return document.getElementById(id).value.trim(); }

  function laneFor(modeler, select, participant) {
    var code = select.value;
    var role = select.options[select.selectedIndex].text;
    var registry = modeler.get("elementRegistry");
    var lanes = registry.filter(function (e) { return e.type === "bpmn:Lane"; });
    var found = lanes.filter(function (l) {
      var name = (l.businessObject.name || "").trim();
      return name === role || name === code;
    })[0];
    if (found) { return found; }
    var modeling = modeler.get("modeling");
    var bottom = lanes.sort(function (a, b) { return b.y - a.y; })[0] || participant;
    var lane = modeling.addLane(bottom, "bottom");
    modeling.updateProperties(lane, { name: role });
    return lane;
  }

  function makeSpace(modeler, source) {
    var registry = modeler.get("elementRegistry");
    var edge = source.x + source.width;
    var fixed = ["label", "bpmn:Lane", "bpmn:Participant", "bpmn:Collaboration", "bpmn:Process"];
    var moving = registry.filter(function (e) {
      return !e.waypoints && e.parent && fixed.indexOf(e.type) < 0 && e.x > edge;
    });
    var resizing = registry.filter(function (e) { return e.type === "bpmn:Participant" || e.type === "bpmn:Lane"; });
    modeler.get("modeling").createSpace(moving, resizing, { x: GAP, y: 0 }, "e", edge + 1);
  }

  window.BaguanStudioInsert = function (modeler, status) {
    var source = modeler.get("selection").get()[0];
    var flows = source ? (source.outgoing || []).filter(function (c) { return c.type === "bpmn:SequenceFlow"; }) : [];
    if (!source || flows.length !== 1) { return status("请先选中一个只有一条出线的步骤", "error"); }
    var name = value("insert-name");
    if (!name) { return status("请填写新步骤的名称", "error"); }
    var participant = source.parent;
    var flow = flows[0];
    var target = flow.target;
    makeSpace(modeler, source);
    var lane = laneFor(modeler, document.getElementById("insert-role"), participant);
    var modeling = modeler.get("modeling");
    var shape = modeling.createShape({ type: "bpmn:UserTask" },
      { x: source.x + source.width + GAP / 2 + 15, y: lane.y + lane.height / 2 }, participant);
    modeling.updateProperties(shape, { name: name });
    var setSpiff = window.BaguanStudioProps.setSpiff;
    setSpiff(modeler, shape, "kind", "review");
    setSpiff(modeler, shape, "formKey", value("insert-form"));
    setSpiff(modeler, shape, "dueDays", value("insert-due"));
    modeling.reconnectEnd(flow, shape, { x: shape.x, y: shape.y + shape.height / 2 });
    modeling.connect(shape, target);
    modeler.get("selection").select(shape);
    status("已插入“" + name + "”，校验并部署后生效", "success");
  };
})();
