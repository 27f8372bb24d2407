// The till: a cart priced by the server (POST /orders/quote after each change), open bills,
// tenders. Every number shown comes from the API; this script only keeps the cart and calls it.
// Plain JS, no build step; served as a file (the Content-Security-Policy allows no inline code).
(function () {
  "use strict";
  const menu = JSON.parse(document.getElementById("till-menu").textContent);
  const T = JSON.parse(document.getElementById("till-strings").textContent);
  const $ = (id) => document.getElementById(id);
  const API = "/api/v1";
  const REGISTER = "main";
  const products = new Map(menu.products.map((p) => [p.id, p]));
  const cashMethod = menu.payment_methods.find((m) => m.kind === "cash");

  const state = {
    lines: [], // staged lines: {product_id, qty, modifier_option_ids, names, notes}
    order: null, // the open bill being worked on (order detail from the API)
    quote: null,
    tenders: [], // tenders taken before a new order exists: [{method_id, amount, name}]
    category: "",
  };

  // --- helpers -----------------------------------------------------------------------------
  function cookie(name) {
    const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return found ? decodeURIComponent(found.split("=")[1]) : "";
  }
  async function api(method, path, body) {
    const response = await fetch(API + path, {
      method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": cookie("csrftoken"),
        "X-Merchant": menu.merchant.slug,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error(problem(data) || response.status + " " + response.statusText);
      error.status = response.status;
      throw error;
    }
    return data;
  }
  function problem(data) {
    if (!data) return "";
    if (typeof data === "string") return data;
    if (Array.isArray(data)) return data.map(problem).join(" ");
    if (data.detail) return problem(data.detail);
    if (data.message) return data.message;
    return Object.entries(data).map(([k, v]) => (k === "non_field_errors" ? "" : k + ": ") + problem(v)).join(" ");
  }
  // Money as the server writes it in the reader's language (merchants.money.money_format),
  // by the shared rule (static/backoffice/money.js).
  const moneyFormat = menu.merchant.money;
  function money(value) {
    return PosMoney.money(moneyFormat, value);
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  function say(text, bad) {
    $("message").textContent = text || "";
    $("message").classList.toggle("bad", !!bad);
  }
  const amountOf = (text) => String(text || "").replace(/[^0-9.]/g, "");

  // --- the menu ----------------------------------------------------------------------------
  function renderGrid() {
    const term = $("search").value.trim().toLowerCase();
    const grid = $("grid");
    grid.replaceChildren();
    for (const product of menu.products) {
      if (state.category && String(product.category_id) !== state.category) continue;
      if (term && !(product.name.toLowerCase().includes(term) || product.sku.toLowerCase() === term || product.barcode === term)) continue;
      grid.append(el("button", { type: "button", class: "tile", dataset: { product: product.id }, onclick: () => pick(product) },
        el("span", { class: "name" }, product.name),
        el("span", { class: "price" }, money(product.price) + (product.groups.length ? " +" : ""))));
    }
  }
  $("categories").addEventListener("click", (event) => {
    const chip = event.target.closest("[data-category]");
    if (!chip) return;
    state.category = chip.dataset.category;
    for (const c of $("categories").children) c.classList.toggle("on", c === chip);
    renderGrid();
  });
  $("search").addEventListener("input", renderGrid);
  // A barcode scanner types the code and Enter: add the product whose barcode or SKU it is.
  $("search").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const code = $("search").value.trim();
    const exact = menu.products.filter((p) => p.barcode === code || (p.sku && p.sku === code));
    const shown = [...$("grid").children];
    const product = exact.length === 1 ? exact[0] : shown.length === 1 ? products.get(Number(shown[0].dataset.product)) : null;
    if (!product) { say(T.no_match.replace("%s", code), true); return; }
    $("search").value = "";
    renderGrid();
    pick(product);
  });

  function pick(product) {
    if (product.groups.length) return openModifiers(product);
    addLine({ product_id: product.id, qty: 1, modifier_option_ids: [], names: [], notes: "" });
  }

  function addLine(line) {
    const same = state.lines.find((l) => l.product_id === line.product_id && !l.notes && !line.notes &&
      l.modifier_option_ids.join() === line.modifier_option_ids.join());
    if (same) same.qty += line.qty; else state.lines.push(line);
    changed();
  }

  // --- modifiers -----------------------------------------------------------------------------
  let editing = null;
  function openModifiers(product) {
    editing = product;
    $("modifiers-title").textContent = product.name;
    $("modifiers-error").textContent = "";
    $("line-notes").value = "";
    const box = $("modifiers-groups");
    box.replaceChildren();
    for (const group of product.groups) {
      const single = group.max === 1;
      const rule = group.min ? T.choose.replace("%s", group.min === group.max ? group.min : group.min + "–" + group.max) : T.optional;
      const fieldset = el("fieldset", { class: "group", dataset: { group: group.id, min: group.min, max: group.max } },
        el("legend", {}, group.name + " ", el("small", {}, rule)));
      group.options.forEach((option, index) => {
        const input = el("input", { type: single ? "radio" : "checkbox", name: "g" + group.id, value: option.id });
        if (single && group.min && index === 0) input.checked = true;
        fieldset.append(el("label", { class: "option" }, input, " " + option.name,
          Number(option.delta) ? el("small", {}, " +" + money(option.delta)) : null));
      });
      box.append(fieldset);
    }
    $("modifiers-dialog").showModal();
  }
  $("modifiers-add").addEventListener("click", (event) => {
    const ids = [], names = [];
    for (const fieldset of $("modifiers-groups").children) {
      const chosen = [...fieldset.querySelectorAll("input:checked")];
      const { min, max } = fieldset.dataset;
      if (chosen.length < Number(min) || chosen.length > Number(max)) {
        event.preventDefault();
        $("modifiers-error").textContent = fieldset.querySelector("legend").textContent;
        return;
      }
      for (const input of chosen) {
        ids.push(Number(input.value));
        names.push(input.parentElement.textContent.trim());
      }
    }
    addLine({ product_id: editing.id, qty: 1, modifier_option_ids: ids.sort((a, b) => a - b), names, notes: $("line-notes").value.trim() });
  });

  // --- the cart ------------------------------------------------------------------------------
  function body(extra) {
    const data = {
      lines: state.lines.map((l) => ({ product_id: l.product_id, qty: l.qty, modifier_option_ids: l.modifier_option_ids, notes: l.notes })),
      order_type: $("order-type").value,
      notes: $("notes").value,
    };
    if ($("table").value) data.table_id = Number($("table").value);
    const email = $("customer").value.trim();
    if (email) { data.customer_email = email; data.customer_name = $("customer-name").value.trim(); }
    return Object.assign(data, extra || {});
  }

  let quoteSeq = 0;
  let pricing = Promise.resolve();
  function changed() {
    // Pay waits for the cart's price in flight, so a quick tap never sees an old total.
    pricing = price();
    return pricing;
  }
  async function price() {
    say("");
    renderLines();
    if (!state.lines.length) { state.quote = null; renderTotals(); return; }
    const seq = ++quoteSeq;
    try {
      // On an open bill only the lines being added are priced, so the cashier sees what they
      // add before adding it; the bill's own totals stay the order's.
      const quote = await api("POST", "/orders/quote", state.order ? { lines: body().lines } : body());
      if (seq !== quoteSeq) return; // a newer change is being priced
      state.quote = quote;
    } catch (error) {
      if (seq !== quoteSeq) return;
      state.quote = null;
      say(error.message, true);
    }
    renderLines();
    renderTotals();
  }

  function renderLines() {
    const list = $("lines");
    list.replaceChildren();
    if (state.order) {
      for (const item of state.order.items) {
        list.append(el("li", { class: "line" },
          el("span", { class: "qty" }, item.quantity + "×"),
          el("span", { class: "what" }, item.product_name, modifiersOf(item), item.notes ? el("small", {}, item.notes) : null),
          el("span", { class: "amount" }, money(item.line_subtotal_amount)),
          openBill() ? el("button", { type: "button", class: "ghost small", title: T.void, onclick: () => voidLine(item) }, "✕") : null));
      }
    }
    state.lines.forEach((line, index) => {
      const product = products.get(line.product_id);
      const priced = state.quote ? state.quote.items[index] : null;
      list.append(el("li", { class: "line staged-line" },
        el("span", { class: "stepper" },
          el("button", { type: "button", class: "ghost small", "aria-label": "-", onclick: () => { line.qty -= 1; if (!line.qty) state.lines.splice(index, 1); changed(); } }, "−"),
          el("span", { class: "qty" }, String(line.qty)),
          el("button", { type: "button", class: "ghost small", "aria-label": "+", onclick: () => { line.qty += 1; changed(); } }, "+")),
        el("span", { class: "what" }, product.name, line.names.length ? el("small", {}, line.names.join(", ")) : null, line.notes ? el("small", {}, line.notes) : null),
        el("span", { class: "amount" }, priced ? money(priced.line_subtotal_amount) : "")));
    });
    $("staged").hidden = !(state.order && state.lines.length);
  }
  function modifiersOf(item) {
    return item.modifiers && item.modifiers.length ? el("small", {}, item.modifiers.map((m) => m.name).join(", ")) : null;
  }

  function renderTotals() {
    const source = state.order || state.quote;
    const dl = $("totals");
    dl.replaceChildren();
    const adding = state.order && state.lines.length && state.quote;
    $("add-lines").textContent = T.add_to_bill + (adding ? " " + money(adding.total_amount) : "");
    if (!source) { $("pay").textContent = T.pay; return; }
    const rows = [[T.subtotal, source.subtotal_amount]];
    if (Number(source.discount_amount)) rows.push([T.discount, "-" + source.discount_amount]);
    if (Number(source.tax_amount)) rows.push([source.prices_include_tax ? T.tax_included : T.tax, source.tax_amount]);
    if (Number(source.service_charge_amount)) rows.push([T.service, source.service_charge_amount]);
    rows.push([T.total, source.total_amount]);
    if (Number(source.amount_paid)) rows.push([T.paid, source.amount_paid], [T.due, source.amount_due]);
    for (const [label, value] of rows) dl.append(el("dt", {}, label), el("dd", {}, money(value)));
    dl.lastChild.classList.add("grand");
    $("pay").textContent = T.pay + " " + money(state.order ? state.order.amount_due : source.total_amount);
  }

  function openBill() {
    return state.order && ["pending", "confirmed"].includes(state.order.status) && state.order.payment_status !== "paid";
  }

  function setOrder(order) {
    state.order = order;
    if (!state.lines.length) state.quote = null; // the price of lines now on the bill
    $("bill-head").hidden = !order;
    $("bill-tools").hidden = !order;
    $("save-bill").hidden = !!order;
    // A saved bill (a table's tab) can send its ticket to the kitchen before it is paid.
    $("bill-ticket").hidden = !order;
    if (order) {
      $("bill-ticket").href = `/till/orders/${order.id}/kitchen-ticket/`;
      $("bill-number").textContent = order.number + (order.table ? " · " + T.table + " " + order.table.number : "");
      $("bill-status").textContent = order.payment_status === "paid" ? T.status_paid : T["status_" + order.status] || order.status;
      $("order-type").value = order.order_type;
      $("table").value = order.table ? String(order.table.id) : "";
    }
    renderLines();
    renderTotals();
  }

  function newSale() {
    state.lines = [];
    state.tenders = [];
    state.quote = null;
    $("notes").value = "";
    $("customer").value = "";
    $("customer-name").value = "";
    setOrder(null);
    say("");
    if (matchMedia("(pointer: fine)").matches) $("search").focus();
  }

  $("clear").addEventListener("click", () => { state.lines = []; if (!state.order) newSale(); else changed(); });
  $("bill-close").addEventListener("click", newSale);
  $("order-type").addEventListener("change", changed);
  $("table").addEventListener("change", () => {
    if ($("table").value && $("order-type").value === "takeaway") $("order-type").value = "dine_in";
    changed();
  });

  // Customers: search by email or name as the cashier types (the customers API).
  let customerTimer = null;
  $("customer").addEventListener("input", () => {
    clearTimeout(customerTimer);
    const term = $("customer").value.trim();
    if (term.length < 3) return;
    customerTimer = setTimeout(async () => {
      try {
        const page = await api("GET", "/customers?search=" + encodeURIComponent(term));
        $("customer-list").replaceChildren(...(page.results || page).slice(0, 8).map((c) => el("option", { value: c.email }, c.name)));
      } catch (error) { /* searching is a convenience: typing a new email still works */ }
    }, 250);
  });

  async function saveBill() {
    if (!state.lines.length) return null;
    const order = await api("POST", "/orders", body());
    state.lines = [];
    setOrder(order);
    say(T.saved.replace("%s", order.number));
    return order;
  }
  $("save-bill").addEventListener("click", () => saveBill().catch((error) => say(error.message, true)));
  $("add-lines").addEventListener("click", async () => {
    try {
      const order = await api("POST", `/orders/${state.order.id}/lines`, { lines: body().lines });
      state.lines = [];
      setOrder(order);
    } catch (error) { say(error.message, true); }
  });
  async function voidLine(item) {
    const reason = prompt(T.void_reason.replace("%s", item.product_name));
    if (!reason) return;
    try {
      setOrder(await api("POST", `/orders/${state.order.id}/lines/${item.id}/void`, { reason }));
      say(T.voided.replace("%s", item.product_name));
    }
    catch (error) { say(error.message, true); }
  }

  // --- open bills ------------------------------------------------------------------------------
  $("bills-btn").addEventListener("click", async () => {
    const list = $("bills");
    list.replaceChildren(el("li", {}, "…"));
    $("bills-dialog").showModal();
    try {
      const page = await api("GET", "/orders?status=pending&status=confirmed");
      list.replaceChildren();
      for (const order of page.results || page) {
        if (order.payment_status === "paid") continue;
        list.append(el("li", {}, el("button", { type: "button", class: "bill", onclick: () => { $("bills-dialog").close(); state.lines = []; setOrder(order); } },
          el("strong", {}, order.table ? T.table + " " + order.table.number : order.number),
          el("span", {}, order.number), el("span", {}, money(order.amount_due)))));
      }
      if (!list.children.length) list.append(el("li", { class: "quiet" }, T.no_bills));
    } catch (error) { list.replaceChildren(el("li", { class: "bad" }, error.message)); }
  });

  // --- bill tools: move, split, discount -------------------------------------------------------
  $("bill-tools").addEventListener("click", () => {
    $("tools-error").textContent = "";
    $("discount-limit").textContent = menu.is_owner ? "" : "(" + T.limit.replace("%s", Number(menu.max_discount_percent) + "%") + ")";
    $("split-lines").replaceChildren(...state.order.items.map((item) =>
      el("li", { class: "line" }, el("span", { class: "what" }, item.product_name, modifiersOf(item)),
        el("input", { type: "number", min: 0, max: item.quantity, value: 0, class: "split-qty", dataset: { line: item.id }, "aria-label": item.product_name }))));
    $("tools-dialog").showModal();
  });
  // `told(order)`: what the tool did, said under the bill (it would still read the last thing done).
  async function tool(call, told) {
    try {
      const order = await call();
      if (order) setOrder(order);
      if (told) say(told(order));
      $("tools-dialog").close();
    } catch (error) { $("tools-error").textContent = error.message; }
  }
  $("move").addEventListener("click", () => tool(
    () => api("POST", `/orders/${state.order.id}/move`, { table_id: Number($("move-table").value) }),
    (order) => T.moved.replace("%s", order.table ? order.table.number : "")));
  $("split").addEventListener("click", () => tool(async () => {
    const lines = [...document.querySelectorAll(".split-qty")].filter((i) => Number(i.value) > 0).map((i) => ({ line_id: Number(i.dataset.line), qty: Number(i.value) }));
    const result = await api("POST", `/orders/${state.order.id}/split`, { lines });
    say(T.split_done.replace("%s", result.new_order.number));
    return result.order;
  }));
  $("discount").addEventListener("click", () => tool(
    () => api("POST", `/orders/${state.order.id}/discount`, {
      kind: $("discount-kind").value, value: amountOf($("discount-value").value), reason: $("discount-reason").value.trim(),
    }),
    (order) => T.discount_given.replace("%s", money(order.staff_discount ? order.staff_discount.amount : 0))));
  $("discount-remove").addEventListener("click", () => tool(
    () => api("DELETE", `/orders/${state.order.id}/discount`), () => T.discount_removed));

  // --- paying ----------------------------------------------------------------------------------
  function due() {
    if (state.order) return Number(state.order.amount_due);
    if (!state.quote) return 0;
    return Number(state.quote.total_amount) - state.tenders.reduce((sum, t) => sum + Number(t.amount), 0);
  }
  const roundCash = (value) => Math.round(value / Number(menu.cash_step)) * Number(menu.cash_step);

  function renderPay() {
    const left = Math.max(due(), 0);
    $("pay-due").textContent = money(left);
    $("pay-paid").textContent = state.tenders.map((t) => t.name + " " + money(t.amount)).join(" · ");
    $("pay-amount").value = "";
    const cashDue = roundCash(left);
    const quick = [cashDue];
    for (const note of [10000, 20000, 50000, 100000]) {
      const up = Math.ceil(cashDue / note) * note;
      if (up > cashDue && !quick.includes(up) && quick.length < 5) quick.push(up);
    }
    $("quick-cash").replaceChildren(...(cashMethod ? quick.map((value, index) =>
      el("button", { type: "button", class: "cash", dataset: { amount: value }, onclick: () => tender(cashMethod, String(value)) },
        index === 0 ? T.exact_cash + " " + money(value) : money(value))) : []));
    $("tenders").replaceChildren(...menu.payment_methods.map((method) =>
      el("button", { type: "button", class: "tender", dataset: { kind: method.kind, method: method.id }, onclick: () => tender(method, amountOf($("pay-amount").value)) }, method.name)));
  }

  $("pay").addEventListener("click", async () => {
    await pricing;
    if (!state.order && !state.lines.length) { say(T.empty, true); return; }
    if (!state.order && !state.quote) return; // the quote's error is on screen
    if (state.order && state.lines.length) { say(T.add_first, true); return; }
    $("pay-error").textContent = "";
    $("paid-box").hidden = true;
    $("qris").hidden = true;
    renderPay();
    $("pay-dialog").showModal();
    // Focus the exact-cash button, not the amount box: no keyboard pops up on a tablet, and
    // Enter on a laptop takes exact cash.
    const first = $("quick-cash").firstChild || $("tenders").firstChild;
    if (first) first.focus();
  });

  const GATEWAY = ["midtrans_snap", "midtrans_qris", "xendit_qris"];
  // Cash names the register, so the shift's drawer counts it (ignored where shifts are not kept).
  function tenderBody(methodId, amount) {
    const body = { method_id: methodId, amount };
    if (cashMethod && methodId === cashMethod.id) body.register = REGISTER;
    return body;
  }
  async function tender(method, amount) {
    $("pay-error").textContent = "";
    try {
      if (GATEWAY.includes(method.kind)) return await gateway(method, amount);
      if (state.order) {
        const result = await api("POST", `/orders/${state.order.id}/payments`, tenderBody(method.id, amount || null));
        const order = await api("GET", `/orders/${state.order.id}`);
        setOrder(order);
        if (result.order_payment_status === "paid") return paid(order, result.change);
        return renderPay();
      }
      // A new sale: tenders are kept until they cover the total, then the order is created,
      // paid and completed in one request (nothing is written if any tender is refused).
      const left = due();
      const value = amount ? Number(amount) : method.kind === "cash" ? roundCash(left) : left;
      state.tenders.push({ method_id: method.id, amount: String(value), name: method.name });
      const covered = method.kind === "cash" ? value >= roundCash(left) : value >= left;
      if (!covered) return renderPay();
      const order = await api("POST", "/orders", body({
        payments: state.tenders.map((t) => tenderBody(t.method_id, t.amount)),
        complete: $("order-type").value !== "dine_in",
      }));
      state.lines = [];
      state.tenders = [];
      setOrder(order);
      const change = order.payments.reduce((sum, p) => sum + Number(p.change_amount || 0), 0);
      paid(order, change);
    } catch (error) {
      if (!state.order) state.tenders = [];
      $("pay-error").textContent = error.message;
      renderPay();
    }
  }

  function paid(order, change) {
    $("change").textContent = money(change || 0);
    $("receipt-link").href = `/till/orders/${order.id}/receipt/`;
    $("ticket-link").href = `/till/orders/${order.id}/kitchen-ticket/`;
    $("paid-box").hidden = false;
    $("quick-cash").replaceChildren();
    $("tenders").replaceChildren();
    $("pay-due").textContent = money(0);
    $("new-sale").focus();
  }
  $("new-sale").addEventListener("click", () => { $("pay-dialog").close(); newSale(); });

  let pollTimer = null;
  async function gateway(method, amount) {
    const order = state.order || (await saveBill());
    const result = await api("POST", `/orders/${order.id}/payments`, { method_id: method.id, amount: amount || null });
    const payment = result.payment;
    $("qris").hidden = false;
    $("qris-string").textContent = payment.qr_string || "";
    $("qris-code").hidden = !payment.qr_string;
    if (payment.qr_string) {
      // Drawn here from the charge's string (qrcode-generator, vendored): nothing leaves the page.
      const code = qrcode(0, "M");
      code.addData(payment.qr_string);
      code.make();
      $("qris-code").src = code.createDataURL(6, 4);
    }
    $("qris-link").hidden = !payment.redirect_url;
    if (payment.redirect_url) $("qris-link").href = payment.redirect_url;
    clearInterval(pollTimer);
    pollTimer = setInterval(async () => {
      if (!$("pay-dialog").open) { clearInterval(pollTimer); return; }
      try {
        const status = await api("POST", `/orders/${order.id}/check-status`);
        if (["paid", "failed", "expired"].includes(status.order_payment_status)) {
          clearInterval(pollTimer);
          const current = await api("GET", `/orders/${order.id}`);
          setOrder(current);
          $("qris").hidden = true;
          if (status.order_payment_status === "paid") paid(current, 0);
          else { $("pay-error").textContent = status.order_payment_status; renderPay(); }
        }
      } catch (error) { $("pay-error").textContent = error.message; }
    }, 3000);
  }

  // --- shift (the shifts API: open, cash in/out, close) -----------------------------------------
  let shift = null;
  async function loadShift() {
    $("shift-error").textContent = "";
    $("shift-result").replaceChildren();
    try {
      // The shift report: the shift itself (with its opening cash) and its running arithmetic.
      const report = await api("GET", `/shifts/current?register=${REGISTER}`);
      shift = report && report.shift ? report.shift : null;
    } catch (error) {
      shift = null;
      if (error.status !== 404) { $("shift-state").textContent = ""; $("shift-error").textContent = error.message; }
    }
    $("shift-state").textContent = shift ? T.shift_open.replace("%s", money(shift.opening_cash)) : T.shift_closed;
    $("shift-open").hidden = !!shift;
    $("shift-current").hidden = !shift;
  }
  $("shift-btn").addEventListener("click", () => { $("shift-dialog").showModal(); loadShift(); });
  $("shift-open-btn").addEventListener("click", async () => {
    try { await api("POST", "/shifts/open", { register: REGISTER, opening_cash: amountOf($("opening-cash").value) || "0" }); await loadShift(); }
    catch (error) { $("shift-error").textContent = error.message; }
  });
  $("cash-move").addEventListener("click", async () => {
    try {
      await api("POST", `/shifts/${shift.id}/cash-movements`, { kind: $("cash-kind").value, amount: amountOf($("cash-amount").value), reason: $("cash-reason").value.trim() });
      $("cash-amount").value = ""; $("cash-reason").value = "";
      $("shift-state").textContent = T.recorded;
    } catch (error) { $("shift-error").textContent = error.message; }
  });
  $("shift-close-btn").addEventListener("click", async () => {
    try {
      const result = await api("POST", `/shifts/${shift.id}/close`, { counted_cash: amountOf($("counted-cash").value), note: $("close-note").value.trim() });
      $("shift-open").hidden = true; $("shift-current").hidden = true;
      $("shift-state").textContent = T.shift_closed;
      const dl = $("shift-result");
      for (const [label, key] of [[T.expected_cash, "expected_cash"], [T.counted_cash, "counted_cash"], [T.difference, "difference"]]) {
        dl.append(el("dt", {}, label), el("dd", {}, money(result[key])));
      }
      const takings = result.takings_by_method || {};
      const rows = Array.isArray(takings) ? takings.map((t) => [t.name || t.method, t.amount]) : Object.entries(takings);
      for (const [name, value] of rows) dl.append(el("dt", {}, name), el("dd", {}, money(value)));
    } catch (error) { $("shift-error").textContent = error.message; }
  });

  renderGrid();
  newSale();
})();
