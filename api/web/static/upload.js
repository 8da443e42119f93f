/* Upload page: queue files (picked, dropped, or whole folders), send them with per-file progress,
   then follow each batch through OCR, metadata, review, signing and archiving.
   "Gộp thành một văn bản": the queued files are the pages of one document, in the order the table
   shows (drag a row, or use its arrows); they go in one request with a `group` field naming them. */
(() => {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const { t, csrfToken, reasonText, stateLabel } = window.sohoa;

  const tbody = form.querySelector("#file-table tbody");
  const summary = document.getElementById("upload-summary");
  const formError = document.getElementById("form-error");
  const dropZone = document.getElementById("drop-zone");
  const canRead = form.dataset.canRead === "yes";
  const canReview = form.dataset.canReview === "yes";
  const eventsOn = form.dataset.events === "on";
  const joinBox = form.querySelector("#join");
  const zipFoldersBox = form.querySelector("#zip-folders");
  const MAX_FILES = 100;
  const MAX_BYTES = 256 * 1024 * 1024;
  const POLL_MS = 1500;
  // Where the live view stops following a document: done, refused, or waiting for a person.
  const SETTLED = new Set(["archived", "rejected", "failed", "needs_review"]);
  const STEPS = ["received", "ocr_done", "extracted", "needs_review", "approved", "signed", "archived"];

  const items = []; // {file, path, row, sent, status, docs: Map(id -> row)}
  const docRows = new Map(); // document id -> {row, status}

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function makeRow(label, size, parentRow) {
    const row = el("tr", { class: parentRow ? "part" : "file" });
    const name = el("td", { class: "name" }, label);
    const sizeCell = el("td", { class: "size" }, size === null ? "" : formatSize(size));
    const sentCell = el("td", { class: "sent" });
    const sent = el("progress", { max: "100", value: "0", "aria-label": t("uploadjs.sent_label", { name: label }) });
    if (!parentRow) sentCell.append(sent);
    const status = el("td", { class: "status" });
    row.append(name, sizeCell, sentCell, status);
    if (parentRow) parentRow.after(row); else tbody.append(row);
    return { row, sent, status };
  }

  function showStatus(cell, state, detail, link) {
    cell.textContent = "";
    const status = el("div", { class: "status-line" });
    cell.append(status);
    const label = el("span", { class: "state state-" + state }, stateLabel(state));
    status.append(label);
    if (STEPS.includes(state)) {
      const step = STEPS.indexOf(state) + 1;
      status.append(el("meter", { min: "0", max: String(STEPS.length), value: String(step), "aria-hidden": "true" }));
    }
    if (detail) status.append(el("span", { class: "reason" }, detail));
    if (link) {
      const a = el("a", { href: link.href }, link.text);
      status.append(a);
    }
  }

  function addFile(file, path) {
    const key = path + "|" + file.size;
    if (items.some((it) => it.key === key)) return;
    const { row, sent, status } = makeRow(path, file.size, null);
    showStatus(status, "queued");
    items.push({ key, file, path, row, sent, status, done: false });
    renderOrder();
  }

  function queued() {
    return items.filter((it) => !it.done && !it.sending);
  }

  // Joining: each queued row shows its page number, can be dragged, and has arrows for the keyboard.
  function renderOrder() {
    const joining = joinBox.checked;
    const pages = queued();
    pages.forEach((it, i) => {
      const cell = it.row.querySelector("td.name");
      cell.textContent = "";
      if (joining) cell.append(el("span", { class: "page-no" }, t("uploadjs.page_label", { n: i + 1 })));
      cell.append(document.createTextNode(it.path));
      if (joining) {
        const up = el("button", { type: "button", class: "move", "data-move": "-1" }, "↑");
        const down = el("button", { type: "button", class: "move", "data-move": "1" }, "↓");
        up.setAttribute("aria-label", t("uploadjs.move_up", { name: it.path }));
        down.setAttribute("aria-label", t("uploadjs.move_down", { name: it.path }));
        up.disabled = i === 0;
        down.disabled = i === pages.length - 1;
        cell.append(up, down);
        tbody.append(it.row); // the rows follow the page order
      }
      it.row.draggable = joining;
    });
  }

  function move(it, to) {
    const pages = queued();
    const from = pages.indexOf(it);
    const place = Math.max(0, Math.min(pages.length - 1, to));
    if (from < 0 || from === place) return;
    pages.splice(from, 1);
    pages.splice(place, 0, it);
    const others = items.filter((x) => !pages.includes(x));
    items.splice(0, items.length, ...others, ...pages);
    renderOrder();
  }

  function itemOf(node) {
    const row = node && node.closest ? node.closest("tr") : null;
    return items.find((x) => x.row === row) || null;
  }

  tbody.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button.move");
    const it = button && itemOf(button);
    if (!it) return;
    const step = Number(button.dataset.move);
    move(it, queued().indexOf(it) + step);
    const again = it.row.querySelector('button.move[data-move="' + step + '"]');
    (again && !again.disabled ? again : it.row.querySelector("button.move:not([disabled])"))?.focus();
  });

  let dragged = null;
  tbody.addEventListener("dragstart", (event) => {
    const it = itemOf(event.target);
    if (!it || !it.row.draggable) return;
    dragged = it;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", it.path);
    it.row.classList.add("dragging");
  });
  tbody.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  });
  tbody.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    event.stopPropagation();
    const target = itemOf(event.target);
    const pages = queued();
    if (target && target !== dragged && pages.includes(target)) {
      const box = target.row.getBoundingClientRect();
      let to = pages.indexOf(target) + (event.clientY > box.top + box.height / 2 ? 1 : 0);
      if (pages.indexOf(dragged) < to) to -= 1;
      move(dragged, to);
    }
  });
  tbody.addEventListener("dragend", () => {
    if (dragged) dragged.row.classList.remove("dragging");
    dragged = null;
  });
  joinBox.addEventListener("change", renderOrder);

  function updateSummary() {
    const counts = {};
    let total = 0;
    for (const { state } of docRows.values()) {
      counts[state] = (counts[state] || 0) + 1;
      total += 1;
    }
    const waiting = items.filter((it) => !it.done).length;
    const parts = [t("uploadjs.summary_queued", { n: waiting })];
    for (const [state, n] of Object.entries(counts)) parts.push(stateLabel(state) + ": " + n);
    summary.textContent = total || waiting ? parts.join(" · ") : "";
  }

  async function readEntry(entry) {
    if (entry.isFile) {
      return new Promise((resolve) => {
        entry.file((file) => resolve([{ file, path: entry.fullPath.replace(/^\//, "") }]), () => resolve([]));
      });
    }
    if (!entry.isDirectory) return [];
    const reader = entry.createReader();
    const found = [];
    for (;;) {
      const batch = await new Promise((resolve) => reader.readEntries(resolve, () => resolve([])));
      if (!batch.length) break;
      for (const child of batch) found.push(...(await readEntry(child)));
    }
    return found;
  }

  async function takeDrop(dataTransfer) {
    const entries = [];
    for (const item of dataTransfer.items || []) {
      const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
      if (entry) entries.push(entry);
    }
    if (entries.length) {
      for (const entry of entries) for (const { file, path } of await readEntry(entry)) addFile(file, path);
    } else {
      for (const file of dataTransfer.files) addFile(file, file.name);
    }
    updateSummary();
  }

  form.querySelector("#files").addEventListener("change", (event) => {
    for (const file of event.target.files) addFile(file, file.name);
    event.target.value = "";
    updateSummary();
  });
  form.querySelector("#folder").addEventListener("change", (event) => {
    for (const file of event.target.files) addFile(file, file.webkitRelativePath || file.name);
    event.target.value = "";
    updateSummary();
  });
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => event.preventDefault());
  dropZone.addEventListener("dragenter", () => dropZone.classList.add("over"));
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("over"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("over");
    takeDrop(event.dataTransfer);
  });

  for (const radio of form.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      const cover = form.querySelector("input[name=mode]:checked").value === "cover_sheets";
      document.getElementById("procedure-fields").hidden = cover;
      document.getElementById("cover-help").hidden = !cover;
    });
  }

  form.querySelector("#clear").addEventListener("click", () => {
    for (const it of items.filter((i) => !i.done && !i.sending)) it.row.remove();
    items.splice(0, items.length, ...items.filter((i) => i.done || i.sending));
    renderOrder();
    updateSummary();
  });

  function filing() {
    const cover = form.querySelector("input[name=mode]:checked").value === "cover_sheets";
    const procedure = form.querySelector("[name=procedure_code]");
    const dossier = form.querySelector("[name=dossier_code]");
    if (cover) return { cover_sheets: "true" };
    const code = (procedure.value || "").trim();
    if (!code) return null;
    const out = { procedure_code: code };
    if (dossier.value.trim()) out.dossier_code = dossier.value.trim();
    // the role in the dossier and the owner (empty: the dossier's owner)
    for (const input of form.querySelectorAll("[data-dossier-field]")) {
      if (input.type === "radio" && !input.checked) continue;
      if (input.value.trim()) out[input.name] = input.value.trim();
    }
    return out;
  }

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = !text;
  }

  function batches(pending) {
    const out = [];
    let current = [];
    let bytes = 0;
    for (const it of pending) {
      if (current.length && (current.length >= MAX_FILES || bytes + it.file.size > MAX_BYTES)) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push(it);
      bytes += it.file.size;
    }
    if (current.length) out.push(current);
    return out;
  }

  function baseName(name) {
    return name.split("/").pop().normalize("NFC");
  }

  function docLink(id, state) {
    if (state === "needs_review" && canReview) return { href: "/review/" + id, text: t("uploadjs.open_review") };
    if (canRead) return { href: "/documents/" + id, text: t("uploadjs.open_document") };
    return null;
  }

  function track(id, status, state, detail) {
    docRows.set(id, { status, state });
    showStatus(status, state, detail, SETTLED.has(state) ? docLink(id, state) : null);
  }

  function containerOf(name) {
    const zip = name.toLowerCase().indexOf(".zip/");
    if (zip >= 0) return name.slice(0, zip + 4);
    const hash = name.lastIndexOf("#");
    if (hash > 0 && /^\d+$/.test(name.slice(hash + 1))) return name.slice(0, hash);
    return name;
  }

  function settle(group, body) {
    // Answers name files as sent ("scan.pdf"), zip members ("a.zip/b.pdf") or stack parts ("scan.pdf#2");
    // each list keeps the order the server read the files in, so equal names match in order.
    const unused = group.slice();
    const parts = new Map();
    const targetFor = (filename) => {
      const name = filename.normalize("NFC");
      const container = containerOf(name);
      if (container === name) {
        const i = unused.findIndex((it) => baseName(it.file.name) === name);
        if (i >= 0) return unused.splice(i, 1)[0].status;
      }
      const parent = group.find((it) => baseName(it.file.name) === baseName(container));
      if (!parent) return null;
      parts.set(parent, (parts.get(parent) || 0) + 1);
      return makeRow(name, null, parent.row).status;
    };
    for (const doc of body.documents || []) {
      // Files joined into one document: the first file's row follows it, the others say which page they are.
      if (doc.parts && doc.parts.length > 1 && containerOf(doc.filename) === doc.filename) {
        const [first, ...others] = doc.parts.map((part) => targetFor(part));
        const note = doc.duplicate_of ? t("uploadjs.duplicate") : t("uploadjs.joined", { n: doc.parts.length });
        if (first) track(doc.id, first, doc.state, note);
        others.forEach((cell, i) => {
          if (cell) showJoined(cell, i + 2);
        });
        continue;
      }
      const target = targetFor(doc.filename);
      if (target) track(doc.id, target, doc.state, doc.duplicate_of ? t("uploadjs.duplicate") : "");
    }
    for (const refused of body.rejected || []) {
      const target = targetFor(refused.filename);
      if (!target) continue;
      showStatus(target, "rejected", reasonText(refused.code, refused.message));
      if (refused.document_id) docRows.set(refused.document_id, { status: target, state: "rejected", fixed: true });
    }
    for (const [parent, n] of parts) {
      if (unused.includes(parent)) showStatus(parent.status, "split", t("uploadjs.split_into", { n: n }));
    }
    for (const it of group) {
      it.done = true;
      it.sending = false;
    }
    updateSummary();
  }

  function showJoined(cell, n) {
    cell.textContent = "";
    const line = el("div", { class: "status-line" });
    line.append(el("span", { class: "state state-joined" }, t("uploadjs.joined_page", { n: n })));
    cell.append(line);
  }

  function refuseGroup(group, text) {
    for (const it of group) {
      it.sending = false;
      showStatus(it.status, "not_sent", text);
    }
    updateSummary();
  }

  function send(group, fields) {
    return new Promise((resolve) => {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      const starts = [];
      let total = 0;
      for (const it of group) {
        starts.push(total);
        total += it.file.size;
        it.sending = true;
        it.row.draggable = false;
        for (const button of it.row.querySelectorAll("button.move")) button.remove();
        data.append("files", it.file, baseName(it.file.name));
        showStatus(it.status, "sending");
      }
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/uploads");
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        // The body is the files in order plus a little multipart framing: place each file on it.
        const position = (event.loaded / event.total) * total;
        group.forEach((it, i) => {
          const size = it.file.size || 1;
          const done = Math.max(0, Math.min(size, position - starts[i]));
          it.sent.value = Math.round((done / size) * 100);
        });
      });
      xhr.addEventListener("load", () => {
        for (const it of group) it.sent.value = 100;
        const body = xhr.response || {};
        if (xhr.status === 201) {
          settle(group, body);
          resolve(body.batch_id);
        } else if (xhr.status === 401) {
          refuseGroup(group, t("uploadjs.signed_out"));
          resolve(null);
        } else {
          refuseGroup(group, reasonText(body.code, body.message));
          resolve(null);
        }
      });
      xhr.addEventListener("error", () => {
        refuseGroup(group, t("uploadjs.network_error"));
        resolve(null);
      });
      xhr.send(data);
    });
  }

  function follow(batchId) {
    let source = null;
    let timer = null;
    let pending = false;
    let again = false;
    let stopped = false;

    function stop() {
      stopped = true;
      if (source) source.close();
      if (timer) clearInterval(timer);
    }

    // The batch as the server has it now: the truth, whatever events were missed.
    async function refresh() {
      if (stopped) return;
      if (pending) {
        again = true;
        return;
      }
      pending = true;
      try {
        const answer = await fetch("/api/v1/batches/" + encodeURIComponent(batchId), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!answer.ok) return;
        const batch = await answer.json();
        let open = 0;
        for (const doc of batch.documents || []) {
          const known = docRows.get(doc.id);
          if (!known || known.fixed) continue;
          if (known.state !== doc.state) {
            const detail = doc.reason_code ? reasonText(doc.reason_code, doc.reason_message) : "";
            track(doc.id, known.status, doc.state, detail);
          }
          if (!SETTLED.has(doc.state)) open += 1;
        }
        updateSummary();
        if (!open) stop();
      } catch (_) {
        // a missed look is made up by the next event or poll
      } finally {
        pending = false;
        if (again && !stopped) {
          again = false;
          refresh();
        }
      }
    }

    function poll() {
      if (!timer && !stopped) timer = setInterval(refresh, POLL_MS);
    }

    // An event names the document and the state it moved to: show it at once, then read the batch.
    function onEvent(message) {
      try {
        const event = JSON.parse(message.data);
        const known = event.document_id && docRows.get(event.document_id);
        if (known && !known.fixed && event.to_state && event.to_state !== known.state) {
          const code = event.details && event.details.reason_code;
          track(event.document_id, known.status, event.to_state, code ? reasonText(code, event.details.message) : "");
          updateSummary();
        }
      } catch (_) {
        // not an event of ours: the batch read below still tells the truth
      }
      refresh();
    }

    refresh();
    if (eventsOn && window.EventSource) {
      let opened = false;
      source = new EventSource("/api/v1/batches/" + encodeURIComponent(batchId) + "/events");
      source.onopen = () => {
        opened = true;
      };
      source.onmessage = onEvent;
      for (const name of ["document.state", "metadata.corrected", "upload.duplicate", "upload.rejected", "upload.stack"]) {
        source.addEventListener(name, onEvent);
      }
      source.addEventListener("end", () => {
        // every document rests: one last read, and no reconnection
        source.close();
        source = null;
        refresh().then(() => poll()); // poll() does nothing once everything is settled
      });
      source.onerror = () => {
        if (stopped || !source) return;
        source.close();
        source = null;
        poll(); // the stream is gone: reading the batch still works
      };
      // A stream that never opens is no better than none.
      setTimeout(() => {
        if (!opened) poll();
      }, 5000);
    } else {
      poll();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pending = items.filter((it) => !it.done && !it.sending);
    if (!pending.length) {
      showFormError(t("uploadjs.no_files"));
      return;
    }
    const fields = filing();
    if (!fields) {
      showFormError(t("uploadjs.no_procedure"));
      form.querySelector("[name=procedure_code]").focus();
      return;
    }
    if (zipFoldersBox.checked) fields.zip_folders = "true";
    const joining = joinBox.checked && pending.length > 1;
    if (joining) {
      // One document: one request, whatever the batch limits would have cut.
      const names = pending.map((it) => baseName(it.file.name));
      if (new Set(names).size !== names.length) {
        showFormError(t("uploadjs.join_same_names"));
        return;
      }
      const bytes = pending.reduce((sum, it) => sum + it.file.size, 0);
      if (pending.length > MAX_FILES || bytes > MAX_BYTES) {
        showFormError(t("uploadjs.join_too_big", { n: MAX_FILES, mb: MAX_BYTES / 1024 / 1024 }));
        return;
      }
      fields.group = JSON.stringify([names]);
    }
    showFormError("");
    const start = document.getElementById("start");
    start.disabled = true;
    try {
      for (const group of joining ? [pending] : batches(pending)) {
        const batchId = await send(group, fields);
        if (batchId) follow(batchId);
      }
    } finally {
      start.disabled = false;
    }
  });
})();
