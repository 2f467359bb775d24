// Quick exit: the button or Shift pressed three times replaces the page with a neutral site.
// location.replace() removes this page from the tab's history, so Back does not return here.
(function () {
  "use strict";
  var NEUTRAL = "https://www.meteofrance.com/";
  var presses = [];
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.style.display = "none";
    document.title = "Météo";
    try { window.sessionStorage.clear(); } catch (e) { /* storage may be disabled */ }
    window.location.replace(NEUTRAL);
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-quick-exit]");
    if (target) { leave(event); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) { presses = []; leave(null); }
  });
})();
