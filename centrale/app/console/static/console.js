// The only script: refresh the log tail and the actions' progress every 2 s. The rest is HTML.
"use strict";
document.querySelectorAll("[data-refresh]").forEach(function (el) {
  function refresh() {
    fetch(el.dataset.refresh, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (body) {
        if (body === null) return;
        if (el.dataset.mode === "html") { el.innerHTML = body; return; }
        var atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        el.textContent = body;
        if (atEnd) el.scrollTop = el.scrollHeight;
      })
      .catch(function () {});
  }
  refresh();
  setInterval(refresh, 2000);
});
