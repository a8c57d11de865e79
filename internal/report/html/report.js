(function () {
  "use strict";
  var input = document.getElementById("filter");
  var count = document.getElementById("count");
  var items = document.querySelectorAll("[data-f]");
  var sections = document.querySelectorAll("details.section");
  function apply() {
    var q = input.value.toLowerCase().trim();
    var n = 0;
    items.forEach(function (el) {
      var hit = q === "" || el.textContent.toLowerCase().indexOf(q) >= 0;
      el.hidden = !hit;
      if (hit) { n++; }
    });
    count.textContent = q === "" ? "" : n + " matching";
    if (q !== "") {
      sections.forEach(function (d) { d.open = true; });
    }
  }
  input.addEventListener("input", apply);
  document.getElementById("expand").addEventListener("click", function () {
    sections.forEach(function (d) { d.open = true; });
  });
  document.getElementById("collapse").addEventListener("click", function () {
    sections.forEach(function (d) { d.open = false; });
  });
  // #q=text in the address pre-fills the filter, so a filtered view can be shared
  var m = /(?:^#|&)q=([^&]*)/.exec(location.hash);
  if (m) { input.value = decodeURIComponent(m[1]); }
  apply();
  document.body.setAttribute("data-ready", "1");
}());
