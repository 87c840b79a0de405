// Cronflow run inspector: live updates of a run's page, and "select all" on the runs list. No dependencies.
(function () {
  'use strict';

  var POLL_MS = 1500;

  function liveRegion() { return document.getElementById('live'); }

  function isFinished(root) {
    var marker = root.querySelector('[data-finished]');
    return marker !== null && marker.getAttribute('data-finished') === 'true';
  }

  function userIsEditing(root) {
    var active = document.activeElement;
    if (!active || !root.contains(active)) { return false; }
    return active.tagName === 'TEXTAREA' || active.tagName === 'INPUT' || active.tagName === 'SELECT';
  }

  function startLiveUpdates() {
    var live = liveRegion();
    if (!live || isFinished(live)) { return; }
    var url = live.getAttribute('data-src');
    var last = null;
    var timer = window.setInterval(function () {
      if (userIsEditing(live)) { return; }
      fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, cache: 'no-store' })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null || html === last || userIsEditing(live)) { return; }
          last = html;
          var open = Array.prototype.map.call(live.querySelectorAll('details[open]'), function (d) { return d.id; });
          live.innerHTML = html;
          open.forEach(function (id) {
            var details = id ? document.getElementById(id) : null;
            if (details) { details.open = true; }
          });
          if (isFinished(live)) { window.clearInterval(timer); }
        })
        .catch(function () { /* the host may be restarting: try again on the next tick */ });
    }, POLL_MS);
  }

  function selectAll() {
    var all = document.getElementById('select-all');
    if (!all) { return; }
    all.addEventListener('change', function () {
      document.querySelectorAll('input[type="checkbox"][name="runId"]').forEach(function (box) { box.checked = all.checked; });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    startLiveUpdates();
    selectAll();
  });
}());
