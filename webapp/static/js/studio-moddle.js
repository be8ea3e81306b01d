/* The spiffworkflow: extension elements Baguan's diagrams use, so the modeler reads, keeps and writes them. */
(function () {
  "use strict";
  function body(name) {
    return { name: name, superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] };
  }
  window.BaguanSpiffModdle = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true }, { name: "value", type: "String", isAttr: true }] },
      body("PreScript"), body("PostScript"), body("CalledDecisionId"), body("InstructionsForEndUser")
    ]
  };
})();
