// Keeps a running job's page current without reloading: the job's event stream (the API's
// SSE, opened with the session cookie) says when something happened; the page then fetches
// its changing parts, rendered by the server, and swaps them in. No framework, no build.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || live.dataset.finished === "true" || !window.EventSource) return;
  var job = live.dataset.job;
  var announce = document.getElementById("announce");
  var pending = null;
  var lastStatus = null;

  function refresh() {
    pending = null;
    return fetch("/console/jobs/" + encodeURIComponent(job) + "/live", {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var openDetails = Array.prototype.map.call(
          live.querySelectorAll("details[open] > summary"), function (s) { return s.textContent; });
        live.innerHTML = html;
        live.querySelectorAll("details > summary").forEach(function (s) {
          if (openDetails.indexOf(s.textContent) >= 0) s.parentElement.open = true;
        });
        var summary = live.querySelector("[data-status]");
        if (summary && summary.dataset.status !== lastStatus) {
          lastStatus = summary.dataset.status;
          live.dataset.status = lastStatus;
          if (announce) announce.textContent = "Status: " + lastStatus.replace(/_/g, " ") + ", " + summary.dataset.progress;
        }
      })
      .catch(function () { /* the next event tries again */ });
  }

  function soon() {
    // Events come in bursts (a step's metrics, then a checkpoint): one refresh per burst.
    if (pending === null) pending = window.setTimeout(refresh, 400);
  }

  var stream = new EventSource("/console/jobs/" + encodeURIComponent(job) + "/events/stream");
  stream.onmessage = soon;
  stream.addEventListener("end", function () {
    stream.close();
    if (pending !== null) window.clearTimeout(pending);
    refresh().then(function () { live.dataset.finished = "true"; });
  });
})();
