/* sohoa web interface: what every page's script shares (texts sent with the page, the CSRF token). */
(() => {
  "use strict";

  function texts() {
    const node = document.getElementById("texts");
    if (!node) return {};
    try {
      return JSON.parse(node.textContent || "{}");
    } catch (_) {
      return {};
    }
  }

  let cache = null;

  function t(key, params) {
    cache = cache || texts();
    let text = Object.prototype.hasOwnProperty.call(cache, key) ? cache[key] : key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function csrfToken() {
    for (const part of document.cookie.split(";")) {
      const [name, ...rest] = part.trim().split("=");
      if (name === "sohoa_csrf") return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  /* A refusal or failure code as a sentence; the server's own message only for codes we have no words for. */
  function reasonText(code, message) {
    if (!code) return message || "";
    const key = "reason." + code;
    cache = cache || texts();
    if (Object.prototype.hasOwnProperty.call(cache, key)) return cache[key];
    return t("reason.unknown", { code: code, message: message || "" });
  }

  function stateLabel(state) {
    return t("state." + (state || "none"));
  }

  async function apiError(response) {
    try {
      const body = await response.json();
      return reasonText(body.code, body.message);
    } catch (_) {
      return reasonText("http_" + response.status, response.statusText);
    }
  }

  // Labelled buttons stand in for the native file control: say which files were chosen.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.id) return;
    const shown = document.querySelector('[data-chosen-for="' + input.id + '"]');
    if (!shown) return;
    if (shown.dataset.empty === undefined) shown.dataset.empty = shown.textContent;
    shown.textContent = [...input.files].map((f) => f.name).join(", ") || shown.dataset.empty;
  });

  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.verb !== "get") event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  window.sohoa = { t, csrfToken, reasonText, stateLabel, apiError };
})();
