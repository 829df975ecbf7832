/* The survey on a phone with JavaScript: pages turn without the network, every answer is kept
   in the phone's storage as it is chosen, and the answers are sent with retries until they
   arrive. Without this script the same pages work through the server (one POST per page).
   Plain ES5 on purpose: cheap and old Android browsers run it. */
(function () {
  "use strict";
  var PREFIX = "sipas:", MAX_AGE = 864e5, form, key, retryTimer, retryDelay = 4000, sending = false;

  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function one(sel, root) { return (root || document).querySelector(sel); }
  function field(el) { return el.name && el.type !== "hidden" && el.type !== "submit"; }

  /* ---- the phone's storage: answers, form-load token and page, kept for a day at most ---- */
  function answers() {
    var out = [];
    all("input,select,textarea", form).forEach(function (el) {
      if (!field(el) || ((el.type === "radio" || el.type === "checkbox") && !el.checked)) return;
      if (el.tagName === "TEXTAREA" && !el.value) return;
      out.push([el.name, el.value]);
    });
    return out;
  }
  function save() {
    try {
      localStorage.setItem(key, JSON.stringify({
        t: form.elements.t.value, p: form.elements.page.value, a: answers(), at: Date.now()
      }));
    } catch (e) { /* storage full or disabled: the form itself still holds the answers */ }
  }
  function saved() {
    try {
      var s = JSON.parse(localStorage.getItem(key));
      if (s && Date.now() - s.at < MAX_AGE) return s;
    } catch (e) { /* unreadable: start afresh */ }
    return null;
  }
  function forget(k) { try { localStorage.removeItem(k); } catch (e) { /* nothing to clear */ } }
  function restore(s) {
    var chosen = {};
    s.a.forEach(function (pair) { (chosen[pair[0]] = chosen[pair[0]] || []).push(pair[1]); });
    form.elements.t.value = s.t;  /* the same form load: a retry stores one response */
    all("input,select,textarea", form).forEach(function (el) {
      if (!field(el)) return;
      var v = chosen[el.name];
      if (el.type === "radio" || el.type === "checkbox") el.checked = !!v && v.indexOf(el.value) >= 0;
      else if (v) el.value = v[0];
    });
  }

  /* ---- skip rules, continuous numbering, "choose at most N" ---- */
  function applies(q) {
    var rule = q.getAttribute("data-when");
    if (!rule) return true;
    var parts = rule.split(":"), el = one('input[name="' + parts[0] + '"]:checked', form);
    return !!el && parts[1].split(",").indexOf(el.value) >= 0;
  }
  function rules() {
    var n = 0;
    all(".q", form).forEach(function (q) {
      var on = applies(q);
      q.hidden = !on;
      all("input,textarea", q).forEach(function (el) { if (q.tagName !== "FIELDSET") el.disabled = !on; });
      if (q.tagName === "FIELDSET") q.disabled = !on;
      if (on) { n += 1; var num = one(".n", q); if (num) num.textContent = n; }
    });
    one("#prog").setAttribute("data-total", n);
    all("fieldset[data-max]", form).forEach(limit);
  }
  function limit(fs) {
    var max = +fs.getAttribute("data-max"), boxes = all("input[type=checkbox]", fs);
    var full = boxes.filter(function (b) { return b.checked; }).length >= max;
    boxes.forEach(function (b) { if (!b.checked) b.disabled = full; });
  }

  /* ---- pages ---- */
  function pages() { return all(".page", form).filter(function (p) { return all(".q", p).some(applies); }); }
  function show(id, focus) {
    var list = pages(), cur = list[0];
    list.forEach(function (p) { if (p.getAttribute("data-page") === id) cur = p; });
    all(".page", form).forEach(function (p) { p.hidden = p !== cur; });
    form.elements.page.value = cur.getAttribute("data-page");
    var go = one("#go"), back = one("#back"), last = cur === list[list.length - 1];
    go.value = last ? "send" : "next";
    go.textContent = go.getAttribute(last ? "data-send" : "data-next");
    back.hidden = back.disabled = cur === list[0];
    progress(cur);
    if (focus) { window.scrollTo(0, 0); one("h2", cur).focus(); }
    return cur;
  }
  function progress(cur) {
    var prog = one("#prog"), total = +prog.getAttribute("data-total");
    var nums = all(".q:not([hidden]) .n", cur).map(function (s) { return +s.textContent; });
    if (!nums.length) return;
    var a = Math.min.apply(null, nums), b = Math.max.apply(null, nums);
    var text = prog.getAttribute(a === b ? "data-of" : "data-range");
    one("#progtext").textContent = text.replace("{a}", a).replace("{b}", b).replace("{t}", total);
    one(".bar span", prog).style.width = Math.round((a - 1) * 100 / total) + "%";
  }
  function turn(step) {
    var list = pages(), at = 0;
    list.forEach(function (p, i) { if (!p.hidden) at = i; });
    var next = list[Math.max(0, Math.min(list.length - 1, at + step))].getAttribute("data-page");
    show(next, true);
    history.pushState({ p: next }, "", location.href);
    save();
  }

  /* ---- sending, with "not sent yet — try again" and retries ---- */
  function failed() {
    one("#fail").hidden = false;
    one("#fail").scrollIntoView();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { send(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }
  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.documentElement.lang = doc.documentElement.lang;
    document.documentElement.replaceChild(document.importNode(doc.body, true), document.body);
    if (url) history.replaceState(null, "", url);
    window.scrollTo(0, 0);
    init();
  }
  function post(extra) {
    var body = new URLSearchParams(new FormData(form));
    body.append(extra[0], extra[1]);
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin" });
  }
  function send(button) {
    if (sending) return;
    sending = true;
    save();
    post(button ? [button.name, button.value] : ["nav", "send"]).then(function (reply) {
      return reply.text().then(function (html) {
        sending = false;
        if (reply.ok && /\/thanks$/.test(reply.url)) { forget(key); swap(html, reply.url); return; }
        if (html.indexOf('id="survey"') >= 0) { swap(html); return; }  /* the server's own answer */
        failed();  /* an error page (rate limit, server fault): keep the answers, try later */
      });
    }, function () { sending = false; failed(); });
  }

  /* ---- events (on the document: they survive a swapped page) ---- */
  document.addEventListener("click", function (e) {
    if (!form) return;
    var b = e.target.closest ? e.target.closest("button[type=submit],a[data-audio],#retry,.errsum a") : null;
    if (!b) return;
    if (b.matches(".errsum a")) {
      var target = document.getElementById(b.getAttribute("href").slice(1));
      if (!target) return;
      e.preventDefault();
      (target.closest(".q") || target).scrollIntoView();
      target.focus({ preventScroll: true });
      return;
    }
    e.preventDefault();
    if (b.hasAttribute("data-audio")) { play(b.href); return; }
    if (b.id === "retry") { retryDelay = 4000; send(); return; }
    if (b.value === "next") turn(1);
    else if (b.value === "back") turn(-1);
    else if (b.value === "skip") {
      all("#p-policy input", form).forEach(function (el) { el.checked = false; });
      turn(1);
    } else send(b);
  });
  var player;
  function play(url) {
    if (player && player.src === url && !player.paused) { player.pause(); return; }
    if (player) player.pause();
    player = new Audio(url);
    player.play();
  }
  document.addEventListener("change", function (e) {
    if (!form) return;
    if (e.target.name && one('[data-when^="' + e.target.name + ':"]', form)) { rules(); show(form.elements.page.value); }
    var fs = e.target.closest && e.target.closest("fieldset[data-max]");
    if (fs) limit(fs);
    save();
  });
  document.addEventListener("input", function () { if (form) save(); });
  window.addEventListener("popstate", function (e) { if (form && e.state && e.state.p) show(e.state.p, true); });
  window.addEventListener("online", function () { if (form && !one("#fail").hidden) send(); });

  function init() {
    form = one("#survey");
    var sent = document.body.getAttribute("data-sent");
    if (sent) forget(PREFIX + sent);
    if (!form) return;
    key = PREFIX + form.getAttribute("data-key");
    var s = saved();
    var page = form.elements.page.value;
    if (s && form.getAttribute("data-fresh") === "1" && s.a.length) { restore(s); page = s.p; }
    rules();
    show(page);
    history.replaceState({ p: form.elements.page.value }, "", location.href);
    save();
    var summary = one("#errsum");
    if (summary) summary.focus();
  }
  init();
})();
