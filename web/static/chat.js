// The staff assistant's chat page (/tro-ly): asks through the JSON API and
// shows the answer as it streams in. EventSource cannot POST, so the
// text/event-stream answer is read from fetch()'s body. Without this
// script the page still works: the form posts and the server answers.
(function () {
  "use strict";
  var form = document.getElementById("chat-form");
  var log = document.getElementById("chat-log");
  var tpl = document.getElementById("qa-template");
  if (!form || !log || !tpl || !window.fetch || !window.TextDecoder || !("content" in tpl)) {
    return;
  }
  var question = document.getElementById("question");
  var convInput = document.getElementById("conversation-id");
  var askButton = document.getElementById("ask");
  var errorBox = document.getElementById("chat-error");
  var side = document.getElementById("chat-side");

  // On a wide screen the conversation list stays open beside the chat.
  if (side && window.matchMedia && window.matchMedia("(min-width: 60rem)").matches) {
    side.open = true;
  }

  function csrf() {
    var f = form.querySelector("[name=csrf_token]");
    return f ? f.value : "";
  }

  function showError(msg) {
    if (!errorBox) return;
    errorBox.textContent = msg || "";
    errorBox.hidden = !msg;
  }

  function apiError(res) {
    return res.json().then(function (j) {
      return new Error(j && j.error && j.error.message ? j.error.message : "Lỗi " + res.status);
    }, function () {
      return new Error("Lỗi " + res.status + " khi gửi câu hỏi.");
    });
  }

  // answerText is what the copy button copies: the answer and its sources.
  function answerText(li) {
    var parts = [li.querySelector(".qa-text").textContent.trim()];
    var cites = li.querySelectorAll(".qa-cites li");
    if (cites.length) {
      parts.push("Nguồn:");
      cites.forEach(function (c) {
        var a = c.querySelector("a");
        parts.push(a.textContent.trim() + " — " + a.href);
      });
    }
    return parts.join("\n");
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand("copy"); } finally { ta.remove(); }
    return Promise.resolve();
  }

  // wire gives an answer its copy button and sends its ratings through
  // the API.
  function wire(li) {
    var btn = li.querySelector(".qa-copy");
    if (btn && !btn.dataset.wired) {
      btn.dataset.wired = "1";
      btn.hidden = false;
      btn.addEventListener("click", function () {
        copy(answerText(li)).then(function () {
          btn.textContent = "Đã sao chép";
          setTimeout(function () { btn.textContent = "Sao chép"; }, 2000);
        }, function () { btn.textContent = "Không sao chép được"; });
      });
    }
    var rate = li.querySelector(".qa-rate");
    if (rate && !rate.dataset.wired) {
      rate.dataset.wired = "1";
      rate.addEventListener("submit", function (e) {
        e.preventDefault();
        var b = e.submitter;
        var id = li.dataset.answerId;
        if (!b || !id) return;
        var status = rate.querySelector(".qa-rate__status");
        var comment = rate.querySelector("[name=comment]");
        fetch("/api/v1/assistant/answers/" + encodeURIComponent(id) + "/feedback", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf() },
          body: JSON.stringify({ rating: b.value, comment: comment ? comment.value : "" })
        }).then(function (res) {
          if (!res.ok) return apiError(res).then(function (err) { throw err; });
          rate.querySelectorAll(".qa-rate__btn").forEach(function (x) {
            x.setAttribute("aria-pressed", String(x === b));
          });
          status.textContent = "Cảm ơn, đã ghi nhận đánh giá.";
        }).catch(function (err) { status.textContent = err.message; });
      });
    }
  }

  log.querySelectorAll(".qa").forEach(wire);

  function fill(li, res) {
    li.id = "tra-loi-" + res.answer_id;
    li.dataset.answerId = res.answer_id;
    li.querySelector(".qa-text").textContent = res.answer;
    li.querySelector(".qa-a").classList.toggle("qa-a--unsupported", !res.supported);
    var notice = li.querySelector(".qa-notice");
    notice.textContent = res.notice || "";
    notice.hidden = !res.notice;
    var ol = li.querySelector(".qa-cites");
    ol.textContent = "";
    (res.citations || []).forEach(function (c) {
      var item = document.createElement("li");
      var a = document.createElement("a");
      a.className = "qa-cite";
      a.href = c.url;
      var n = document.createElement("span");
      n.className = "qa-cite__n";
      n.textContent = "[" + c.n + "]";
      a.appendChild(n);
      a.appendChild(document.createTextNode(" " + c.title + (c.label ? ", " + c.label : "")));
      item.appendChild(a);
      if (c.quote) {
        var q = document.createElement("blockquote");
        q.className = "qa-quote";
        q.textContent = c.quote;
        item.appendChild(q);
      }
      ol.appendChild(item);
    });
    ol.hidden = !(res.citations && res.citations.length);
    var rate = li.querySelector(".qa-rate");
    rate.action = "/tro-ly/tra-loi/" + res.answer_id + "/danh-gia";
    rate.querySelector("[name=conversation_id]").value = res.conversation_id;
    li.querySelector(".qa-actions").hidden = false;
    wire(li);
  }

  function remember(res, title) {
    var known = convInput.value === String(res.conversation_id);
    convInput.value = res.conversation_id;
    if (window.history && history.replaceState) {
      history.replaceState(null, "", "/tro-ly?c=" + res.conversation_id);
    }
    if (known) return;
    var list = document.getElementById("chat-list");
    if (!list) return;
    var empty = list.querySelector(".chat-list__empty");
    if (empty) empty.remove();
    list.querySelectorAll("a[aria-current]").forEach(function (a) { a.removeAttribute("aria-current"); });
    var item = document.createElement("li");
    var a = document.createElement("a");
    a.href = "/tro-ly?c=" + res.conversation_id;
    a.setAttribute("aria-current", "page");
    a.textContent = title;
    item.appendChild(a);
    list.insertBefore(item, list.firstChild);
    var count = document.getElementById("chat-count");
    if (count) count.textContent = String(list.querySelectorAll("li").length);
  }

  // readEvents calls onEvent(name, data) for each event of an SSE body.
  function readEvents(body, onEvent) {
    var reader = body.getReader();
    var dec = new TextDecoder();
    var buf = "";
    function dispatch(block) {
      var name = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) {
          if (buf.trim()) dispatch(buf);
          return;
        }
        buf += dec.decode(r.value, { stream: true }).replace(/\r\n/g, "\n");
        var i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          var block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          dispatch(block);
        }
        return pump();
      });
    }
    return pump();
  }

  form.addEventListener("submit", function (e) {
    var q = question.value.trim();
    if (!q) return; // the browser's own check says why
    e.preventDefault();
    showError("");
    var li = tpl.content.firstElementChild.cloneNode(true);
    li.querySelector(".qa-q__text").textContent = q;
    var text = li.querySelector(".qa-text");
    text.textContent = "Đang tìm căn cứ…";
    li.classList.add("qa--pending");
    log.appendChild(li);
    li.scrollIntoView({ block: "start" });
    askButton.disabled = true;
    question.value = "";
    var first = true;
    var done = null;
    fetch("/api/v1/assistant/ask", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": csrf() },
      body: JSON.stringify({ question: q, conversation_id: Number(convInput.value) || 0 })
    }).then(function (res) {
      if (!res.ok) return apiError(res).then(function (err) { throw err; });
      return readEvents(res.body, function (name, data) {
        if (name === "delta") {
          if (first) { text.textContent = ""; first = false; }
          text.textContent += data.text;
        } else if (name === "done") {
          done = data;
        } else if (name === "error") {
          throw new Error(data.error ? data.error.message : "Trợ lý gặp sự cố.");
        }
      });
    }).then(function () {
      if (!done) throw new Error("Câu trả lời bị ngắt giữa chừng, vui lòng hỏi lại.");
      li.classList.remove("qa--pending");
      fill(li, done);
      remember(done, q);
    }).catch(function (err) {
      li.remove();
      question.value = q;
      showError(err.message);
    }).then(function () {
      askButton.disabled = false;
      question.focus();
    });
  });

  // Ctrl/⌘+Enter sends, as in most chat apps; Enter alone makes a new line.
  question.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
})();
