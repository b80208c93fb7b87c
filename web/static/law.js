// A long law is served a part at a time. A link to an article or a chapter
// that is in another part ("/van-ban/x#dieu-418/khoan-1", as search results
// and the assistant's citations make them) asks the server for the part
// that holds it, keeping the anchor, so that the reader lands on the clause.
(function () {
  function follow() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id || document.getElementById(id)) return;
    var m = /^(dieu|chuong)-([0-9a-z\u0111]+)(\/|$)/.exec(id);
    if (!m) return;
    var q = new URLSearchParams(location.search);
    if (q.get(m[1]) === m[2]) return; // asked already: the law has no such part
    q.delete("dieu");
    q.delete("chuong");
    q.delete("toan-van");
    q.set(m[1], m[2]);
    location.replace(location.pathname + "?" + q.toString() + location.hash);
  }
  follow();
  window.addEventListener("hashchange", follow);
})();
