/* Review page: page images, corrections (PATCH metadata), approval (POST approve) and keyboard shortcuts. */
(() => {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const { t, csrfToken, apiError } = window.sohoa;
  const docId = root.dataset.doc;
  const nextUrl = root.dataset.next;
  const pages = parseInt(root.dataset.pages, 10) || 1;
  const image = document.getElementById("page-image");
  const pageLabel = document.getElementById("page-label");
  const form = document.getElementById("review-form");
  const status = document.getElementById("review-status");
  let page = 1;
  let busy = false;

  function showPage(n) {
    page = Math.min(pages, Math.max(1, n));
    image.src = "/ui/documents/" + encodeURIComponent(docId) + "/pages/" + page + ".png";
    image.alt = t("reviewjs.page_alt", { n: page });
    pageLabel.textContent = t("reviewjs.page_of", { n: page, total: pages });
  }
  document.getElementById("prev-page").addEventListener("click", () => showPage(page - 1));
  document.getElementById("next-page").addEventListener("click", () => showPage(page + 1));

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = kind || "";
  }

  class BadDate extends Error {}

  /* dd/mm/yyyy as typed here (ISO accepted too) -> the ISO day the API stores; null when empty. */
  function isoDay(text) {
    const value = text.trim();
    if (!value) return null;
    let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
    const parts = m ? [m[3], m[2], m[1]] : (m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)) ? [m[1], m[2], m[3]] : null;
    if (!parts) throw new BadDate(value);
    const [y, mo, d] = parts.map((p) => parseInt(p, 10));
    const day = new Date(Date.UTC(y, mo - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) throw new BadDate(value);
    return String(y).padStart(4, "0") + "-" + String(mo).padStart(2, "0") + "-" + String(d).padStart(2, "0");
  }

  function changedFields() {
    const out = {};
    for (const field of form.querySelectorAll("[data-kind]")) {
      if (field.value === field.defaultValue) continue;
      if (field.dataset.kind === "lines") {
        out[field.name] = field.value.split("\n").map((s) => s.trim()).filter(Boolean);
      } else if (field.dataset.kind === "date") {
        out[field.name] = isoDay(field.value);
      } else {
        out[field.name] = field.value.trim() || null;
      }
    }
    return out;
  }

  /* The corrections to send; null (the reason said) when a day typed cannot be read. */
  function changes() {
    try {
      return changedFields();
    } catch (error) {
      if (!(error instanceof BadDate)) throw error;
      say(t("reviewjs.bad_date", { value: error.message }), "error");
      return null;
    }
  }

  async function call(method, path, body) {
    const headers = { "X-CSRF-Token": csrfToken(), Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function save() {
    const changed = changes();
    if (!changed) return false;
    if (!Object.keys(changed).length) return true;
    say(t("reviewjs.saving"));
    const answer = await call("PATCH", "/api/v1/documents/" + encodeURIComponent(docId) + "/metadata", changed);
    if (!answer.ok) {
      say(t("reviewjs.save_failed", { reason: await apiError(answer) }), "error");
      return false;
    }
    for (const field of form.querySelectorAll("[data-kind]")) {
      if (field.name in changed) {
        field.defaultValue = field.value;
        field.closest(".field").classList.remove("uncertain");
        field.closest(".field").classList.add("corrected");
        field.removeAttribute("aria-invalid");
      }
    }
    say(t("reviewjs.saved", { n: Object.keys(changed).length }), "ok");
    return true;
  }

  function fieldLabel(name) {
    const label = document.querySelector('label[for="f-' + name + '"]');
    return label ? label.childNodes[0].textContent.trim() : name;
  }

  async function accept() {
    if (!(await save())) return;
    say(t("reviewjs.approving"));
    const path = "/api/v1/documents/" + encodeURIComponent(docId) + "/approve";
    let answer = await call("POST", path + "?confirm_missing=false");
    if (answer.status === 409) {
      const body = await answer.clone().json().catch(() => ({}));
      if (body.code === "required_fields_empty") {
        // A required field left empty is the reviewer's decision to make knowingly; the approval records it.
        const names = ((body.details && body.details.fields) || []).map(fieldLabel).join(", ");
        if (!window.confirm(t("reviewjs.confirm_empty", { fields: names }))) {
          say(t("reviewjs.not_approved"));
          return;
        }
        answer = await call("POST", path + "?confirm_missing=true");
      }
    }
    if (!answer.ok) {
      say(t("reviewjs.approve_failed", { reason: await apiError(answer) }), "error");
      return;
    }
    say(t("reviewjs.approved"), "ok");
    // The server names the next document still waiting; the address bar then shows that document's own URL.
    window.location.assign("/review/next?after=" + encodeURIComponent(docId));
  }

  async function saveCorrection() {
    const changed = changes();
    if (!changed) return;
    if (!Object.keys(changed).length) {
      say(t("reviewjs.nothing_changed"));
      return;
    }
    if (await save()) window.location.assign("/documents/" + encodeURIComponent(docId));
  }

  async function once(action) {
    if (busy) return;
    busy = true;
    try {
      await action();
    } catch (_) {
      say(t("reviewjs.network_error"), "error");
    } finally {
      busy = false;
    }
  }

  // The code printed on the page or the one typed at upload: one click puts it in the field.
  root.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-take]") : null;
    if (!button) return;
    const field = document.getElementById(button.dataset.take);
    if (!field) return;
    field.value = button.dataset.value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    for (const other of button.closest(".choices").querySelectorAll("button[data-take]")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    field.focus();
  });

  const correcting = root.dataset.mode === "correct";  // an archived record: save only, no approval
  const primary = correcting ? saveCorrection : accept;
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      once(primary);
    });
    document.getElementById("save").addEventListener("click", () => once(correcting ? saveCorrection : save));
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.key === "Enter" && form) {
      event.preventDefault();
      once(primary);
    } else if (event.ctrlKey && (event.key === "s" || event.key === "S") && form) {
      event.preventDefault();
      once(correcting ? saveCorrection : save);
    } else if (event.altKey && (event.key === "n" || event.key === "N" || event.code === "KeyN")) {
      event.preventDefault();
      window.location.assign(nextUrl);
    } else if (event.altKey && event.key === "ArrowUp") {
      event.preventDefault();
      showPage(page - 1);
    } else if (event.altKey && event.key === "ArrowDown") {
      event.preventDefault();
      showPage(page + 1);
    }
  });
})();
