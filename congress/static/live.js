// The congress dashboard, live: it follows the event stream of the term
// (EventSource, resumed from the id the page was drawn at) and updates the
// counts, the tables and the latest results in place; when the stream
// fails it polls the snapshot (ETag, 304 while nothing changed) and tries
// the stream again later. Without it the page is still whole.
(function () {
  'use strict';
  var root = document.getElementById('dh-live');
  if (!root) return;
  var province = root.getAttribute('data-province') || '';
  var eventsURL = root.getAttribute('data-events');
  var snapshotURL = root.getAttribute('data-snapshot');
  var last = root.getAttribute('data-last-event-id') || '';
  var state = document.getElementById('dh-state');
  var latest = document.getElementById('dh-latest');
  var latestEmpty = document.getElementById('dh-latest-empty');
  var labels = { planned: 'Theo kế hoạch', preparing: 'Đang chuẩn bị', held: 'Đã tổ chức', postponed: 'Hoãn' };
  var MAX_LATEST = 10;
  var POLL_MS = 15000;
  var RETRY_STREAM_MS = 60000;
  var source = null, pollTimer = null, etag = '';

  function say(text) { if (state) state.textContent = text; }

  function percent(x) { return String(x).replace('.', ',') + ' %'; }

  function dateText(c) {
    var d = c.status === 'postponed' && c.new_date ? c.new_date : c.planned_date;
    if (!d || d.length !== 10) return '';
    return d.slice(8, 10) + '/' + d.slice(5, 7) + '/' + d.slice(0, 4);
  }

  // setCounts writes a summary into the elements [data-count] of box.
  function setCounts(box, sum) {
    if (!box || !sum) return;
    var cells = box.querySelectorAll('[data-count]');
    for (var i = 0; i < cells.length; i++) {
      var k = cells[i].getAttribute('data-count');
      if (!(k in sum)) continue;
      cells[i].textContent = k === 'percent_held' ? percent(sum[k]) : String(sum[k]);
    }
  }

  function scoped(name) {
    // The national line of a province page sits inside the province's box.
    var boxes = document.querySelectorAll('[data-scope="' + name + '"]');
    return boxes.length ? boxes[boxes.length - 1] : null;
  }

  function setSummary(sum) {
    var box = document.querySelector('[data-scope="summary"]');
    if (!box || !sum) return;
    var cards = box.querySelector('.dh-cards');
    setCounts(cards, sum);
  }

  function latestItem(c) {
    var li = document.createElement('li');
    li.setAttribute('data-territory', c.territory);
    var name = document.createElement('strong');
    name.textContent = c.territory_name;
    var meta = document.createElement('span');
    meta.className = 'small muted';
    var parts = [];
    if (dateText(c)) parts.push(dateText(c));
    if (c.chair) parts.push('Chủ tịch: ' + c.chair);
    meta.textContent = parts.join(' · ');
    li.appendChild(name);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(meta);
    return li;
  }

  function dropLatest(territory) {
    var items = latest.querySelectorAll('li');
    for (var i = 0; i < items.length; i++) {
      if (items[i].getAttribute('data-territory') === territory) latest.removeChild(items[i]);
    }
  }

  function showLatestEmpty() {
    if (latestEmpty) latestEmpty.hidden = latest.children.length > 0;
  }

  function setRow(c) {
    var row = document.querySelector('tr[data-territory="' + c.territory + '"]');
    if (!row) return;
    var st = row.querySelector('[data-field="status"]');
    if (st) {
      st.textContent = labels[c.status] || c.status;
      st.className = 'dh-status dh-status--' + c.status;
    }
    var d = row.querySelector('[data-field="date"]');
    if (d) d.textContent = dateText(c);
    var ch = row.querySelector('[data-field="chair"]');
    if (ch) ch.textContent = c.chair || '';
  }

  function onCongress(ev) {
    var d;
    try { d = JSON.parse(ev.data); } catch (e) { return; }
    if (ev.lastEventId) last = ev.lastEventId;
    var c = d.congress;
    setCounts(scoped('national'), d.national);
    if (!province) {
      setSummary(d.national);
      setCounts(document.querySelector('tr[data-province="' + c.province + '"]'), d.summary);
    } else if (c.province === province) {
      setSummary(d.summary);
      setRow(c);
    } else {
      return;
    }
    dropLatest(c.territory);
    if (c.status === 'held') {
      var li = latestItem(c);
      li.className = 'dh-new';
      latest.insertBefore(li, latest.firstChild);
      while (latest.children.length > MAX_LATEST) latest.removeChild(latest.lastChild);
    }
    showLatestEmpty();
  }

  function applySnapshot(s) {
    last = String(s.last_event_id);
    setSummary(s.summary);
    setCounts(scoped('national'), s.national);
    (s.provinces || []).forEach(function (p) {
      setCounts(document.querySelector('tr[data-province="' + p.code + '"]'), p.summary);
    });
    (s.congresses || []).forEach(setRow);
    while (latest.firstChild) latest.removeChild(latest.firstChild);
    (s.latest || []).forEach(function (c) { latest.appendChild(latestItem(c)); });
    showLatestEmpty();
  }

  function fetchSnapshot() {
    var headers = {};
    if (etag) headers['If-None-Match'] = etag;
    return fetch(snapshotURL, { headers: headers, credentials: 'same-origin' }).then(function (r) {
      if (r.status === 304) return;
      if (!r.ok) throw new Error('snapshot ' + r.status);
      etag = r.headers.get('ETag') || '';
      return r.json().then(applySnapshot);
    });
  }

  function startPolling() {
    if (pollTimer) return;
    say('cập nhật định kỳ');
    var tick = function () {
      fetchSnapshot().catch(function () { say('mất kết nối, đang thử lại'); });
    };
    tick();
    pollTimer = setInterval(tick, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    var url = eventsURL + (last ? '?last_event_id=' + encodeURIComponent(last) : '');
    source = new EventSource(url);
    source.addEventListener('open', function () { stopPolling(); say('đang cập nhật trực tiếp'); });
    source.addEventListener('congress', onCongress);
    source.addEventListener('reset', function (ev) {
      // Too far behind to replay: the figures are read again.
      if (ev.lastEventId) last = ev.lastEventId;
      etag = '';
      fetchSnapshot().catch(function () {});
    });
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (the server is busy) or broken: poll, and try the
        // stream again later from where the page stands.
        source = null;
        startPolling();
        setTimeout(function () { stopPolling(); connect(); }, RETRY_STREAM_MS);
      } else {
        say('đang kết nối lại');
      }
    });
  }

  connect();
})();
