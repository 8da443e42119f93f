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

  // "Thử lại" on a failed document (the failures list, the document page): the retry API, then its page.
  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-retry]") : null;
    if (!button || button.disabled) return;
    const id = button.dataset.retry;
    const status = button.parentElement.querySelector(".retry-status");
    const say = (text) => {
      if (status) status.textContent = text;
    };
    button.disabled = true;
    say(t("retryjs.sending"));
    try {
      const answer = await fetch("/api/v1/documents/" + encodeURIComponent(id) + "/retry", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
      });
      if (!answer.ok) {
        say(t("retryjs.failed", { reason: await apiError(answer) }));
        button.disabled = false;
        return;
      }
      const doc = await answer.json();
      say(t("retryjs.sent", { state: stateLabel(doc.state) }));
      window.location.assign("/documents/" + encodeURIComponent(id));
    } catch (_) {
      say(t("retryjs.network_error"));
      button.disabled = false;
    }
  });

  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.verb !== "get") event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  const ICT = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

  /* A moment as every page shows it, whatever the browser's zone and locale: 31/12/2025 14:05, Vietnam time. */
  function localTime(iso) {
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) return iso || "";
    return ICT.format(moment).replace(",", "");
  }

  /* "Common Name: Sở X; Organization: UBND" with the labels in the page's language ("cert.*" texts). */
  function certificateText(subject) {
    if (!subject) return "";
    return subject
      .split("; ")
      .map((part) => {
        const at = part.indexOf(": ");
        if (at < 0) return part;
        const label = part.slice(0, at);
        const key = "cert." + label.toLowerCase().replace(/[^a-z]+/g, "_");
        cache = cache || texts();
        const shown = Object.prototype.hasOwnProperty.call(cache, key) ? cache[key] : label;
        return shown + ": " + part.slice(at + 2);
      })
      .join("; ");
  }

  window.sohoa = { t, csrfToken, reasonText, stateLabel, apiError, localTime, certificateText };
})();
