// Tally's web app: the app API (docs/api.md) from this origin. The session token lives in this
// module's memory only (never a cookie, never storage): nothing else on the page or in the
// browser can read it, there is no ambient credential to forge requests with (no CSRF), and a
// reload means logging in again. The page runs under a Content-Security-Policy that admits
// only this origin's files: no inline script or style, so the DOM is built with
// createElement/textContent, never innerHTML.

const SVG = "http://www.w3.org/2000/svg";
const PAGE = 50;
let token = null;
let categories = [];
let cursor = null;
let loading = false;
let observer = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(message) {
  $("status").textContent = message;
}

function fail(message) {
  $("error").textContent = message;
}

class ApiFailure extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                      cache: "no-store", credentials: "omit"});
  if (response.status === 401 && token) {
    showAuth("Your session ended: log in again.");
    throw new ApiFailure(401, null);
  }
  const text = response.status === 204 ? "" : await response.text();
  const data = text && response.headers.get("Content-Type")?.startsWith("application/json") ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

function explain(error) {
  const details = error.body && error.body.details ? error.body.details.map((d) => d.message).join("; ") : "";
  return details ? `${error.message}: ${details}` : error.message;
}

// Runs a form's action with its button disabled; errors go to the alert region.
function handle(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fail("");
    try {
      await action(new FormData(form));
    } catch (error) {
      if (error instanceof ApiFailure && error.status !== 401) fail(explain(error));
      else if (!(error instanceof ApiFailure)) fail(String(error));
    } finally {
      button.disabled = false;
    }
  });
}

// -- signing in and out ------------------------------------------------------------------------
function showAuth(message) {
  token = null;
  $("app").hidden = true;
  $("auth").hidden = false;
  $("logout").hidden = true;
  $("who").textContent = "";
  say(message || "");
  $("login-email").focus();
}

async function logIn(email, password) {
  const done = await api("POST", "/auth/login", {email, password});
  token = done.token;
  $("auth").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("login-form").reset();
  $("signup-form").reset();
  $("signup-zone").value = zone();
  await start();
  $("main").focus();
}

function zone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// -- what the signed-in user sees --------------------------------------------------------------
async function start() {
  if (!categories.length) categories = (await api("GET", "/categories")).categories;
  fillBudgetCategories();
  const today = new Date();
  $("export-to").value = isoDay(today);
  $("export-from").value = isoDay(new Date(today.getFullYear(), today.getMonth(), 1));
  await Promise.all([profile(), reloadTransactions(), monthly()]);
}

function isoDay(day) {
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
}

async function profile() {
  const me = await api("GET", "/me");
  $("who").textContent = `${me.name} (${me.email})`;
  const list = $("accounts");
  list.replaceChildren();
  const cards = new Set();
  for (const account of me.accounts) {
    account.card_ids.forEach((card) => cards.add(card));
    list.append(el("li", {text: `${account.partner_id} · ${account.account_number} · cards ${account.card_ids.join(", ")}`}));
  }
  if (!me.accounts.length) list.append(el("li", {className: "hint", text: "No account linked yet."}));
  const select = $("filter-card");
  const chosen = select.value;
  select.replaceChildren(el("option", {value: "", text: "All cards"}));
  for (const card of [...cards].sort()) select.append(el("option", {value: card, text: card}));
  select.value = cards.has(chosen) ? chosen : "";
}

function categoryName(slug) {
  const found = categories.find((c) => c.slug === slug);
  return found ? found.name : slug;
}

function fillBudgetCategories() {
  const select = $("budget-category");
  if (select.options.length) return;
  for (const c of categories.filter((c) => c.slug !== "income")) select.append(el("option", {value: c.slug, text: c.name}));
}

// -- transactions: pages on scroll (and with the "Load more" button), filters, recategorise --------
async function reloadTransactions() {
  cursor = null;
  $("transactions").replaceChildren();
  $("list-end").textContent = "";
  await loadPage(true);
}

async function loadPage(first = false) {
  if (loading || (!first && !cursor)) return;
  loading = true;
  const list = $("transactions");
  list.setAttribute("aria-busy", "true");
  try {
    const params = new URLSearchParams({days: "400", limit: String(PAGE)});
    if ($("filter-card").value) params.set("card_id", $("filter-card").value);
    if ($("filter-status").value) params.set("status", $("filter-status").value);
    if (cursor) params.set("cursor", cursor);
    const page = await api("GET", `/me/transactions?${params}`);
    page.transactions.forEach((row) => list.append(transactionItem(row)));
    cursor = page.next_cursor;
    $("more").hidden = !cursor;
    $("list-end").textContent = cursor ? "" : (list.children.length ? "That is all." : "No transactions yet.");
  } finally {
    loading = false;
    list.setAttribute("aria-busy", "false");
  }
  // A short page leaves the sentinel in view: keep reading until the screen is full or all is read.
  if (cursor && visible($("list-end"))) await loadPage();
}

function visible(node) {
  const box = node.getBoundingClientRect();
  return box.top < window.innerHeight && box.bottom > 0;
}

function transactionItem(row) {
  const id = `${row.partner_id}/${row.transaction_id}`;
  const when = new Date(row.authorized_at);
  const label = `${row.merchant.name}, ${row.amount} ${row.currency}, ${when.toLocaleDateString()}`;
  const select = el("select", {"aria-label": `Category of ${label}`});
  for (const c of categories) select.append(el("option", {value: c.slug, text: c.name}));
  select.value = row.category;
  const past = el("input", {type: "checkbox"});
  const save = el("button", {type: "button", text: "Save", "aria-label": `Save the category of ${label}`});
  const note = el("span", {className: "hint source", text: row.category_source});
  save.addEventListener("click", async () => {
    save.disabled = true;
    fail("");
    try {
      const done = await api("PATCH", `/me/transactions/${encodeURIComponent(row.partner_id)}/${encodeURIComponent(row.transaction_id)}`,
                             {category: select.value, apply_to_past: past.checked});
      note.textContent = done.category_source;
      say(`${row.merchant.name}: ${categoryName(done.category)}${past.checked ? ", applied to past transactions" : ""}.`);
      if (past.checked) await reloadTransactions();
      await monthly();
    } catch (error) {
      if (error instanceof ApiFailure && error.status !== 401) fail(explain(error));
    } finally {
      save.disabled = false;
    }
  });
  const amount = el("span", {className: Number(row.amount) < 0 ? "amount out" : "amount in", text: `${row.amount} ${row.currency}`});
  return el("li", {className: "transaction", "data-id": id},
    el("span", {className: "merchant", text: row.merchant.name}),
    amount,
    el("span", {className: "meta", text: `${when.toLocaleString()} · ${row.status} · card ${row.card_id}`}),
    el("span", {className: "recategorise"},
      select,
      el("label", {}, past, " apply to past"),
      save, note));
}

// -- this month: the chart by category and the budgets ------------------------------------------
async function monthly() {
  const summary = await api("GET", "/me/summary");
  drawChart(summary);
  drawBudgets(summary.budgets);
}

function drawChart(summary) {
  const holder = $("chart");
  holder.replaceChildren();
  const spending = summary.currencies.flatMap((c) => c.categories.filter((t) => t.category !== "income" && Number(t.spend) > 0)
    .map((t) => ({name: t.name, slug: t.category, currency: c.currency, spend: Number(t.spend),
                  text: `${t.spend} ${c.currency}`})));
  if (!spending.length) {
    holder.append(el("p", {className: "hint", text: `No spending in ${summary.month} yet.`}));
    return;
  }
  spending.sort((a, b) => a.currency.localeCompare(b.currency) || b.spend - a.spend);
  const most = {};  // bars compare within a currency: amounts in two currencies are not comparable
  for (const s of spending) most[s.currency] = Math.max(most[s.currency] || 0, s.spend);
  const rowHeight = 28;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 400 ${spending.length * rowHeight}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", "chart-title chart-text");
  svg.setAttribute("class", "chart");
  const description = document.createElementNS(SVG, "desc");
  description.id = "chart-text";
  description.textContent = spending.map((s) => `${s.name}: ${s.text}`).join("; ");
  svg.append(description);
  spending.forEach((s, i) => {
    const y = i * rowHeight;
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("x", "120");
    bar.setAttribute("y", String(y + 4));
    bar.setAttribute("height", String(rowHeight - 8));
    bar.setAttribute("width", String(Math.max(2, (s.spend / most[s.currency]) * 190)));
    bar.setAttribute("class", "bar");
    bar.setAttribute("data-category", s.slug);
    const name = document.createElementNS(SVG, "text");
    name.setAttribute("x", "0");
    name.setAttribute("y", String(y + rowHeight / 2 + 5));
    name.textContent = s.name;
    const value = document.createElementNS(SVG, "text");
    value.setAttribute("x", "398");
    value.setAttribute("y", String(y + rowHeight / 2 + 5));
    value.setAttribute("text-anchor", "end");
    value.textContent = s.text;
    svg.append(bar, name, value);
  });
  holder.append(svg);
}

function drawBudgets(budgets) {
  const list = $("budgets");
  list.replaceChildren();
  if (!budgets.length) list.append(el("li", {className: "hint", text: "No budget set."}));
  for (const b of budgets) {
    const bar = el("progress", {max: "100", value: String(Math.min(100, Math.max(0, b.percent))),
                                "aria-label": `${b.name} budget used`});
    const over = b.percent >= 100 ? " over" : b.percent >= 80 ? " near" : "";
    const remove = el("button", {type: "button", text: "Remove", "aria-label": `Remove the ${b.name} budget`});
    remove.addEventListener("click", async () => {
      await api("DELETE", `/me/budgets/${encodeURIComponent(b.category)}`);
      say(`The ${b.name} budget is removed.`);
      await monthly();
    });
    list.append(el("li", {className: `budget${over}`, "data-category": b.category},
      el("span", {className: "merchant", text: b.name}),
      el("span", {text: `${b.spent} of ${b.amount} ${b.currency} (${b.percent} %), ${b.remaining} left`}),
      bar, remove));
  }
}

// -- export: fetched with the token (a plain link would carry no credential) ------------------------
async function download(data) {
  const params = new URLSearchParams({from: data.get("from"), to: data.get("to")});
  const response = await fetch(`/me/transactions.csv?${params}`, {headers: {Authorization: `Bearer ${token}`},
                                                                  cache: "no-store", credentials: "omit"});
  if (!response.ok) throw new ApiFailure(response.status, await response.json());
  const link = $("download");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(await response.blob());
  link.download = `tally-${data.get("from")}-to-${data.get("to")}.csv`;
  link.textContent = `Download ${link.download}`;
  link.hidden = false;
  link.click();
  say(`Exported ${link.download}.`);
}

// -- wiring --------------------------------------------------------------------------------------
function wire() {
  $("signup-zone").value = zone();
  handle($("login-form"), (data) => logIn(data.get("email"), data.get("password")));
  handle($("signup-form"), async (data) => {
    await api("POST", "/users", {name: data.get("name"), email: data.get("email"), password: data.get("password"),
                                 time_zone: data.get("time_zone")});
    await logIn(data.get("email"), data.get("password"));
    say("Welcome to Tally.");
  });
  handle($("link-form"), async (data) => {
    const linked = await api("POST", "/me/accounts", {partner_id: data.get("partner_id"), link_code: data.get("link_code")});
    $("link-code").value = "";
    say(`Account ${linked.account_number} linked.`);
    await profile();
  });
  handle($("budget-form"), async (data) => {
    await api("PUT", `/me/budgets/${encodeURIComponent(data.get("category"))}`,
              {amount: data.get("amount"), currency: data.get("currency")});
    say(`Budget for ${categoryName(data.get("category"))} set.`);
    $("budget-amount").value = "";
    await monthly();
  });
  handle($("export-form"), download);
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/auth/logout"); } finally { showAuth("You are logged out."); }
  });
  $("refresh").addEventListener("click", () => Promise.all([profile(), reloadTransactions(), monthly()]).catch(report));
  $("filter-card").addEventListener("change", () => reloadTransactions().catch(report));
  $("filter-status").addEventListener("change", () => reloadTransactions().catch(report));
  $("more").addEventListener("click", () => loadPage().catch(report));
  observer = new IntersectionObserver((seen) => {
    if (seen.some((entry) => entry.isIntersecting)) loadPage().catch(report);
  });
  observer.observe($("list-end"));  // always displayed, just below the list
}

function report(error) {
  if (!(error instanceof ApiFailure) || error.status !== 401) fail(error instanceof ApiFailure ? explain(error) : String(error));
}

wire();
