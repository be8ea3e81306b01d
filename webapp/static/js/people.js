/* People picker: an <input list> whose datalist is refilled from /people as the user types a name, and a search box
   that narrows a <select> of people (转办, 委派, 加签, 抄送). Without JavaScript the lists still work as rendered. */
(function () {
  "use strict";
  function refill(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-people-url");
    if (!list || !url) { return; }
    var query = encodeURIComponent(input.value.trim());
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + query,
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { people: [] }; })
      .then(function (body) {
        list.textContent = "";
        body.people.forEach(function (person) {
          var option = document.createElement("option");
          option.value = person.username;
          option.label = person.label;
          option.textContent = person.label;
          list.appendChild(option);
        });
      })
      .catch(function () { /* keep the list already shown */ });
  }
  var timers = new WeakMap();
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches("input[data-people-url]")) {
      clearTimeout(timers.get(input));
      timers.set(input, setTimeout(function () { refill(input); }, 200));
    }
    if (input.matches("input[data-filter-select]")) {
      var select = document.getElementById(input.getAttribute("data-filter-select"));
      var text = input.value.trim().toLowerCase();
      if (!select) { return; }
      Array.prototype.forEach.call(select.options, function (option) {
        var shown = !text || option.textContent.toLowerCase().indexOf(text) >= 0 || option.value.toLowerCase().indexOf(text) >= 0;
        option.hidden = !shown;
        option.disabled = !shown && !option.selected;
      });
      if (!select.multiple && select.selectedOptions.length && select.selectedOptions[0].hidden) {
        var first = Array.prototype.find.call(select.options, function (option) { return !option.hidden; });
        if (first) { first.selected = true; }
      }
    }
  });
}());
