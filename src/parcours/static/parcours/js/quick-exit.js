// Quick exit: the button or Shift pressed three times replaces the page with a neutral site.
// location.replace() removes this page from the tab's history, so Back does not return here.
// The neutral address is the button's own href (one setting: PARCOURS_QUICK_EXIT_URL).
(function () {
  "use strict";
  var FALLBACK = "https://www.meteofrance.com/";
  var presses = [];
  function neutral() {
    var button = document.querySelector("[data-quick-exit]");
    return (button && button.href) || FALLBACK;
  }
  function leave(event) {
    if (event) { event.preventDefault(); }
    var target = neutral();
    // Hide at once: the page must not stay on screen while the neutral site loads.
    document.documentElement.style.visibility = "hidden";
    document.title = "Météo";
    try { window.sessionStorage.clear(); } catch (e) { /* storage may be disabled */ }
    window.location.replace(target);
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-quick-exit]");
    if (target) { leave(event); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") {
      // Typing capitals (Shift + letter) must not add up to an exit: any other key starts again.
      presses = [];
      return;
    }
    if (event.repeat) { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) { presses = []; leave(null); }
  });
  // Back from the neutral site may restore this page from the browser cache: leave again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.documentElement.style.visibility === "hidden") { leave(null); }
  });
})();
