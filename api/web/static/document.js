/* Document page: the signature check (from the verification API, when the server has it) and supersede. */
(() => {
  "use strict";
  const { t, csrfToken, apiError, localTime, certificateText } = window.sohoa;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function yesNo(value) {
    return value ? t("verifyjs.yes") : t("verifyjs.no");
  }

  /* Each problem in the page's words by its stable code; the server's sentence for a code we have no words for. */
  function problemText(sig) {
    const codes = sig.problem_codes || [];
    return sig.problems
      .map((sentence, i) => {
        const key = "verifyproblem." + (codes[i] || "");
        const said = t(key);
        return codes[i] && said !== key ? said : sentence;
      })
      .join("; ");
  }

  function signatureList(signatures) {
    const list = el("ul", { class: "plain signatures" });
    for (const sig of signatures) {
      const item = el("li");
      item.append(el("span", { class: "badge " + (sig.valid ? "ok" : "bad") }, sig.valid ? t("verifyjs.signature_valid") : t("verifyjs.signature_invalid")));
      const facts = el("dl", { class: "facts" });
      const add = (label, value) => {
        if (value === undefined || value === null || value === "") return;
        facts.append(el("dt", {}, label), el("dd", {}, value));
      };
      add(t("verifyjs.signer"), certificateText(sig.signer_subject));
      add(t("verifyjs.level"), sig.level);
      add(t("verifyjs.signing_time"), sig.signing_time ? localTime(sig.signing_time) : null);
      add(t("verifyjs.intact"), yesNo(sig.intact));
      add(t("verifyjs.trusted"), yesNo(sig.trusted));
      if (sig.problems && sig.problems.length) add(t("verifyjs.problems"), problemText(sig));
      item.append(facts);
      list.append(item);
    }
    return list;
  }

  async function verify(section) {
    const status = document.getElementById("verification-status");
    try {
      const answer = await fetch(section.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!answer.ok) {
        status.textContent = t("verifyjs.failed", { reason: await apiError(answer) });
        return;
      }
      const report = await answer.json();
      const signatures = report.signatures || [];
      const valid = typeof report.valid === "boolean" ? report.valid : signatures.length > 0 && signatures.every((s) => s.valid);
      status.textContent = "";
      status.append(el("span", { class: "badge " + (valid ? "ok" : "bad"), id: "verification-verdict" }, valid ? t("verifyjs.valid") : t("verifyjs.invalid")));
      if (signatures.length) section.append(signatureList(signatures));
    } catch (_) {
      status.textContent = t("verifyjs.network_error");
    }
  }

  const section = document.getElementById("verification");
  if (section && section.dataset.url) verify(section);

  const form = document.getElementById("supersede-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = document.getElementById("supersede-status");
      status.textContent = t("verifyjs.sending");
      try {
        const answer = await fetch(form.dataset.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
          body: new FormData(form),
        });
        if (!answer.ok) {
          status.textContent = t("verifyjs.supersede_failed", { reason: await apiError(answer) });
          return;
        }
        const body = await answer.json();
        const next = body.id || body.document_id || (body.document && body.document.id) || body.new_document_id;
        status.textContent = t("verifyjs.superseded");
        if (next) window.location.assign("/documents/" + encodeURIComponent(next));
      } catch (_) {
        status.textContent = t("verifyjs.network_error");
      }
    });
  }
})();
