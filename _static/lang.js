/* Language switcher for the bilingual book: English / 中文 / EN+中文.
 *
 * Prose cells carry the class tag_lang-en or tag_lang-zh (added by _ext/bilingual.py).
 * lang.css hides one of them according to <html data-lang="en|zh|both">.
 * This file is loaded synchronously in <head>, so data-lang is set before the first
 * paint and the wrong language never flashes.  The choice comes from ?lang=…, then
 * localStorage, then the browser's language, and is remembered across pages.
 */
(function () {
  "use strict";
  var KEY = "rnn2bert-lang";
  var MODES = ["en", "zh", "both"];
  var LABELS = { en: "English", zh: "中文", both: "EN+中文" };
  var TITLES = {
    en: "Show English only · 只显示英文",
    zh: "只显示中文 · Show Chinese only",
    both: "中英对照 · Show both languages",
  };

  function valid(mode) { return MODES.indexOf(mode) >= 0; }
  function load() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function save(mode) { try { localStorage.setItem(KEY, mode); } catch (e) { /* private mode */ } }
  function browserDefault() {
    var lang = (navigator.language || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "zh" : "en";
  }

  var fromUrl = new URLSearchParams(window.location.search).get("lang");
  var mode = valid(fromUrl) ? fromUrl : (valid(load()) ? load() : browserDefault());
  if (valid(fromUrl)) { save(fromUrl); }
  document.documentElement.setAttribute("data-lang", mode);

  function setMode(next) {
    mode = next;
    save(next);
    document.documentElement.setAttribute("data-lang", next);
    var url = new URL(window.location.href);
    if (url.searchParams.has("lang")) {  // the stored choice now wins over a stale ?lang=
      url.searchParams.delete("lang");
      window.history.replaceState(null, "", url.toString());
    }
    var buttons = document.querySelectorAll(".lang-switcher button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].dataset.mode === next));
    }
  }

  function buildSwitcher() {
    var group = document.createElement("div");
    group.className = "lang-switcher";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Language · 语言");
    MODES.forEach(function (m) {
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.mode = m;
      button.textContent = LABELS[m];
      button.title = TITLES[m];
      button.setAttribute("aria-pressed", String(m === mode));
      button.addEventListener("click", function () { setMode(m); });
      group.appendChild(button);
    });
    return group;
  }

  /* "On this page" lists both headings of a pair.  Give each entry the language class of
   * the heading it points to, so that lang.css hides it with the heading.  Only the link is
   * tagged, not its <li>: the entries of later subsections are nested in that <li>. */
  function tagTocEntries() {
    var links = document.querySelectorAll(".toc-entry > a[href^='#']");
    for (var i = 0; i < links.length; i++) {
      var target = document.getElementById(decodeURIComponent(links[i].hash.slice(1)));
      if (!target) { continue; }
      var heading = /^H[1-6]$/.test(target.tagName) ? target : target.querySelector("h1, h2, h3, h4, h5, h6");
      if (!heading) { continue; }
      ["tag_lang-en", "tag_lang-zh"].forEach(function (cls) {
        if (heading.classList.contains(cls)) { links[i].classList.add(cls); }
      });
    }
  }

  /* The theme's own labels are English only; like the book's titles, they become bilingual. */
  var THEME_LABELS = {
    "Show code cell source": "显示代码 · Show code cell source",
    "Hide code cell source": "隐藏代码 · Hide code cell source",
    "Show code cell outputs": "显示输出 · Show code cell outputs",
    "Hide code cell outputs": "隐藏输出 · Hide code cell outputs",
    "Contents": "目录 · Contents",
    "Search": "搜索 · Search",
  };
  var THEME_PLACEHOLDERS = {"Search this book...": "搜索本书… · Search this book..."};

  function translateThemeLabels() {
    var holders = document.querySelectorAll(
      "summary .collapsed, summary .expanded, .page-toc.tocsection, #jb-print-toc h2, .search-button__default-text");
    for (var i = 0; i < holders.length; i++) {
      var children = holders[i].childNodes;
      for (var j = 0; j < children.length; j++) {
        var text = children[j];
        if (text.nodeType !== Node.TEXT_NODE) { continue; }
        var label = THEME_LABELS[text.nodeValue.trim()];
        if (label) { text.nodeValue = text.nodeValue.replace(text.nodeValue.trim(), label); }
      }
    }
    var fields = document.querySelectorAll("input[placeholder]");
    for (var k = 0; k < fields.length; k++) {
      var placeholder = THEME_PLACEHOLDERS[fields[k].getAttribute("placeholder")];
      if (placeholder) {
        fields[k].setAttribute("placeholder", placeholder);
        fields[k].setAttribute("aria-label", placeholder);
      }
    }
  }

  function init() {
    var host = document.querySelector(".article-header-buttons");
    var switcher = buildSwitcher();
    if (host) {
      host.insertBefore(switcher, host.firstChild);
    } else {
      switcher.classList.add("lang-switcher--floating");
      document.body.appendChild(switcher);
    }
    tagTocEntries();
    translateThemeLabels();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
