// The submission form without page reloads: the communes of the chosen
// province and the villages of the chosen commune come from the unit
// tree's public API, a commune is found by name typed with or without
// diacritics, and the phone's position can be added. Without this script
// the form works by plain GET and POST.
(function () {
  "use strict";
  var form = document.querySelector(".pa-form");
  if (!form) return;
  var province = document.getElementById("tinh");
  var search = document.getElementById("tim");
  var village = document.getElementById("village_code");
  var communes = [];

  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }

  function communeSelect() {
    var el = document.getElementById("commune_code");
    if (el.tagName === "SELECT") return el;
    var sel = document.createElement("select");
    sel.id = el.id;
    sel.name = el.name;
    sel.required = true;
    el.replaceWith(sel);
    sel.addEventListener("change", loadVillages);
    return sel;
  }

  function fill(sel, items, empty, chosen) {
    sel.textContent = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = empty;
    sel.appendChild(first);
    items.forEach(function (t) {
      var o = document.createElement("option");
      o.value = t.code;
      o.textContent = t.name;
      if (t.code === chosen) o.selected = true;
      sel.appendChild(o);
    });
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  function showCommunes(list) {
    var sel = communeSelect();
    fill(sel, list, list.length ? "— Chọn xã, phường, đặc khu —" : "— Không có xã nào khớp —", sel.value);
    fill(village, [], "— Không chọn —", "");
  }

  function loadCommunes() {
    if (!province.value) return;
    getJSON("/api/v1/org/territories/" + encodeURIComponent(province.value)).then(function (d) {
      communes = d.children || [];
      showCommunes(communes);
    }).catch(function () {});
  }

  function loadVillages() {
    var c = document.getElementById("commune_code").value;
    fill(village, [], "— Không chọn —", "");
    if (!/^[0-9]{5}$/.test(c)) return;
    getJSON("/api/v1/org/territories/" + c + "/villages").then(function (d) {
      fill(village, d.villages || [], "— Không chọn —", "");
    }).catch(function () {});
  }

  document.querySelectorAll(".pa-nojs").forEach(function (b) { b.hidden = true; });
  if (province) province.addEventListener("change", loadCommunes);
  if (search) {
    // Typing filters the province's communes at once; Enter (or Tìm)
    // still searches the whole country on the server.
    search.addEventListener("input", function () {
      if (!communes.length) return;
      var q = fold(search.value.trim());
      showCommunes(communes.filter(function (t) { return fold(t.name).indexOf(q) >= 0; }));
    });
  }
  var cc = document.getElementById("commune_code");
  if (cc && cc.tagName === "SELECT") cc.addEventListener("change", loadVillages);

  var gps = form.querySelector(".pa-gps");
  if (gps && navigator.geolocation) {
    gps.hidden = false;
    var out = document.getElementById("vi-tri");
    document.getElementById("lay-vi-tri").addEventListener("click", function () {
      out.textContent = "Đang lấy vị trí…";
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("lat").value = p.coords.latitude.toFixed(6);
        document.getElementById("lon").value = p.coords.longitude.toFixed(6);
        out.textContent = "Đã thêm vị trí (±" + Math.round(p.coords.accuracy) + " m).";
      }, function () {
        out.textContent = "Không lấy được vị trí; bạn có thể ghi địa chỉ.";
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }

  var photos = document.getElementById("photos");
  var max = +form.dataset.maxPhotos, maxMB = +form.dataset.maxMb;
  photos.addEventListener("change", function () {
    var msg = "";
    if (photos.files.length > max) msg = "Chỉ gửi được tối đa " + max + " ảnh.";
    Array.prototype.forEach.call(photos.files, function (f, i) {
      if (f.size > maxMB * 1048576) msg = "Ảnh thứ " + (i + 1) + " lớn quá " + maxMB + " MB.";
    });
    photos.setCustomValidity(msg);
    photos.reportValidity();
  });

  // A second tap while the first is sent does nothing; the form's key
  // would anyway make it the same item.
  form.addEventListener("submit", function () {
    var b = form.querySelector("button[type=submit]");
    setTimeout(function () { b.disabled = true; b.textContent = "Đang gửi…"; }, 0);
  });
})();
