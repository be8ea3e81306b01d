/* The studio's small properties panel: names, lanes (roles), user-task form / kind / due days,
   gateway conditions and timers, written as BPMN and spiffworkflow:properties through the modeler. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function Props(modeler, panel, options) {
    this.modeler = modeler;
    this.panel = panel;
    this.forms = options.forms;
    this.roles = options.roles;
    var self = this;
    modeler.on("selection.changed", function (e) { self.show(e.newSelection.length === 1 ? e.newSelection[0] : null); });
  }

  Props.prototype.spiff = function (bo) {
    var result = {};
    var ext = bo.extensionElements;
    var props = ext && (ext.get("values") || []).filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
    (props ? props.get("properties") : []).forEach(function (p) { result[p.name] = p.value; });
    return result;
  };

  Props.prototype.setSpiff = function (element, name, value) {
    Props.setSpiff(this.modeler, element, name, value);
  };

  /* Set (or remove, when empty) one spiffworkflow:property of an element, as one undoable command. */
  Props.setSpiff = function (modeler, element, name, value) {
    var moddle = modeler.get("moddle");
    var bo = element.businessObject;
    var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    var values = ext.get("values");
    var props = values.filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
    if (!props) {
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      props.$parent = ext;
      values.push(props);
    }
    var list = props.get("properties");
    var found = list.filter(function (p) { return p.name === name; })[0];
    if (value === "" || value === null || value === undefined) {
      if (found) { list.splice(list.indexOf(found), 1); }
    } else if (found) {
      found.value = String(value);
    } else {
      var prop = moddle.create("spiffworkflow:Property", { name: name, value: String(value) });
      prop.$parent = props;
      list.push(prop);
    }
    modeler.get("modeling").updateProperties(element, { extensionElements: ext });
  };

  Props.prototype.setExpression = function (element, owner, key, text) {
    var moddle = this.modeler.get("moddle");
    var update = {};
    update[key] = text.trim() ? moddle.create("bpmn:FormalExpression", { body: text.trim() }) : undefined;
    this.modeler.get("modeling").updateModdleProperties(element, owner, update);
  };

  Props.prototype.field = function (label, control, hint) {
    var wrap = el("label", { "class": "field" });
    wrap.appendChild(el("span", { "class": "field-label" }, label));
    wrap.appendChild(control);
    if (hint) { wrap.appendChild(el("span", { "class": "field-hint" }, hint)); }
    this.panel.appendChild(wrap);
    return control;
  };

  Props.prototype.input = function (label, value, onChange, attrs, hint) {
    var input = el("input", Object.assign({ type: "text" }, attrs || {}));
    input.value = value || "";
    input.addEventListener("change", function () { onChange(input.value); });
    return this.field(label, input, hint);
  };

  Props.prototype.select = function (label, value, choices, onChange) {
    var select = el("select", {});
    choices.forEach(function (c) {
      var option = el("option", { value: c[0] }, c[1]);
      if (c[0] === value) { option.selected = true; }
      select.appendChild(option);
    });
    select.addEventListener("change", function () { onChange(select.value); });
    return this.field(label, select);
  };

  Props.prototype.show = function (element) {
    var panel = this.panel;
    panel.innerHTML = "";
    panel.appendChild(el("h2", {}, "属性"));
    if (!element || element.type === "label") {
      panel.appendChild(el("p", { "class": "muted" }, "选中图中的元素以编辑其属性。"));
      return;
    }
    var bo = element.businessObject;
    var modeling = this.modeler.get("modeling");
    panel.appendChild(el("p", { "class": "muted prop-id", "data-element": element.id }, element.type.replace("bpmn:", "") + " · " + element.id));
    if (element.type === "bpmn:Lane") {
      var name = (bo.name || "").trim();
      var roles = this.roles.map(function (r) { return [r[1], r[1]]; });
      var byCode = this.roles.filter(function (r) { return r[0] === name; })[0];
      if (byCode) { roles.unshift([name, byCode[1] + "（" + name + "）"]); }
      else if (!this.roles.some(function (r) { return r[1] === name; })) { roles.unshift([name, (name || "（未设置）") + "（不是有效角色）"]); }
      this.select("角色", name, roles, function (v) { modeling.updateProperties(element, { name: v }); });
      return;
    }
    this.input("名称", bo.name, function (v) { modeling.updateProperties(element, { name: v }); }, { "data-prop": "name" });
    if (element.type === "bpmn:UserTask" || element.type === "bpmn:ManualTask") { this.userTask(element); }
    if (element.type === "bpmn:SequenceFlow" && /Gateway$/.test(element.source.type)) { this.condition(element); }
    var timer = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
    if (timer) { this.timer(element, timer); }
  };

  Props.prototype.userTask = function (element) {
    var self = this;
    var props = this.spiff(element.businessObject);
    this.select("任务类型", props.kind || "review", [["review", "审核"], ["draft", "起草"]],
      function (v) { self.setSpiff(element, "kind", v); });
    var list = el("datalist", { id: "studio-forms" });
    this.forms.forEach(function (f) { list.appendChild(el("option", { value: f })); });
    this.panel.appendChild(list);
    this.input("表单", props.formKey, function (v) { self.setSpiff(element, "formKey", v.trim()); },
      { list: "studio-forms", "data-prop": "formKey" }, "已部署的表单名，留空表示只填写审批意见");
    this.input("办理期限（工作日）", props.dueDays, function (v) { self.setSpiff(element, "dueDays", v.trim()); },
      { type: "number", min: "1", max: "365", "data-prop": "dueDays" });
  };

  Props.prototype.condition = function (element) {
    var self = this;
    var bo = element.businessObject;
    this.input("条件", bo.conditionExpression ? bo.conditionExpression.body : "",
      function (v) { self.setExpression(element, bo, "conditionExpression", v); },
      { "data-prop": "condition" }, "如：amount_total >= 50000；留空表示无条件（或作为默认路径）");
  };

  Props.prototype.timer = function (element, timer) {
    var self = this;
    var key = timer.timeDate ? "timeDate" : (timer.timeCycle ? "timeCycle" : "timeDuration");
    var current = timer[key] ? timer[key].body : "";
    this.input("定时表达式", current, function (v) { self.setExpression(element, timer, key, v); },
      { "data-prop": "timer" }, "Python 表达式，如 'P3D'（3 天）或 'PT12H'");
  };

  window.BaguanStudioProps = Props;
})();
