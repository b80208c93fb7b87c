// Drafts of a report form kept in the browser: every change is written to
// localStorage under the unit, data set and period, with the version of
// the report the form was drawn from; a page opened again (after a lost
// connection, a closed tab, a failed send) restores what was typed. Once
// the report is saved its version moves on, and the draft, now older
// than what is stored, is dropped. Without this script the form works by
// plain POST; with it nothing typed is lost.
(function () {
  "use strict";
  var form = document.querySelector("form.bc-form[data-draft]");
  if (!form) return;
  var key = "mattranso:bao-cao:" + form.getAttribute("data-draft");
  var version = form.getAttribute("data-version") || "0";
  var store;
  try {
    store = window.localStorage;
    store.getItem(key);
  } catch (e) {
    return; // storage refused (private mode, policy): the form still works
  }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name.indexOf("f_") === 0 && !el.disabled;
    });
  }

  function read() {
    var values = {};
    fields().forEach(function (el) {
      values[el.name] = el.value;
    });
    return values;
  }

  function load() {
    try {
      var d = JSON.parse(store.getItem(key) || "null");
      return d && typeof d === "object" && d.values ? d : null;
    } catch (e) {
      return null;
    }
  }

  function save() {
    try {
      store.setItem(key, JSON.stringify({ version: version, at: Date.now(), values: read() }));
      form.setAttribute("data-draft-state", "kept");
    } catch (e) {
      // A full storage loses the draft, not the form.
    }
  }

  function drop() {
    store.removeItem(key);
    form.setAttribute("data-draft-state", "none");
  }

  function notice(text, undo) {
    var p = document.createElement("p");
    p.className = "notice bc-draft";
    p.setAttribute("role", "status");
    p.textContent = text + " ";
    if (undo) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button button--light";
      b.textContent = "Bỏ bản nháp";
      b.addEventListener("click", function () {
        drop();
        window.location.reload();
      });
      p.appendChild(b);
    }
    form.insertBefore(p, form.firstChild);
  }

  var draft = load();
  // A locked report cannot take a draft; a saved one has moved on.
  if (form.hasAttribute("data-locked") || (draft && draft.version !== version)) {
    drop();
    draft = null;
  }
  // A form sent back with errors shows what was sent, which is newer
  // than any draft.
  if (draft && !form.hasAttribute("data-posted")) {
    var changed = false;
    fields().forEach(function (el) {
      if (Object.prototype.hasOwnProperty.call(draft.values, el.name) && el.value !== draft.values[el.name]) {
        el.value = draft.values[el.name];
        changed = true;
      }
    });
    if (changed) {
      var at = new Date(draft.at);
      var hm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
      notice("Đã khôi phục bản nháp chưa lưu trên máy này (lúc " + hm + "). Nhớ bấm Lưu nháp hoặc Gửi báo cáo.", true);
      form.setAttribute("data-draft-state", "restored");
    }
  }
  if (form.hasAttribute("data-locked")) return;
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  if (form.hasAttribute("data-posted")) save();
})();

// The print page's button: the browser's own print, which the page's
// A4 style sheet lays out. Without the script the browser's menu does it.
(function () {
  "use strict";
  var b = document.querySelector("[data-print]");
  if (!b) return;
  b.hidden = false;
  b.addEventListener("click", function () {
    window.print();
  });
})();
