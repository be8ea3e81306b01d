/* Layout: the header menu (and the inbox's extra filters) are <details> that stay open on wide screens and fold
   on phones;
   a table wider than its box says that it scrolls sideways. */
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 961px)");

  function syncMenu() {
    document.querySelectorAll("[data-nav-menu], [data-wide-open]").forEach(function (box) {
      box.open = wide.matches || box.hasAttribute("data-keep-open");
    });
  }

  function markScrollers() {
    document.querySelectorAll(".table-scroll, .list-card, table.list-table, .scroll-x").forEach(function (box) {
      box.classList.toggle("is-scrollable", box.scrollWidth > box.clientWidth + 2);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncMenu();
    markScrollers();
  });
  wide.addEventListener("change", syncMenu);
  window.addEventListener("resize", markScrollers);
  document.addEventListener("click", function (event) {
    if (wide.matches) { return; }
    document.querySelectorAll("[data-nav-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });
}());
