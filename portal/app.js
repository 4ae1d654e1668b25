// The member portal: apply, sign in with a one-time code, and the member's
// own data through /api/v1/me… with the member token (kept in this tab's
// sessionStorage only). No API key is ever in the page.
"use strict";

const TEXT = {
  en: {
    title: "VIP programme", welcome: "Welcome", apply: "Apply to the programme",
    login: "Sign in with a code", company: "Company or name on the contract", your_name: "Your name",
    birth_date: "Date of birth (optional, for your birthday benefit)",
    email: "Email", phone: "Phone", segment: "Customer type", consumer: "Home", business: "Business",
    isp: "Internet provider", plan: "Plan", amount: "Monthly amount (USD)", delivery: "Service delivered",
    direct: "by us", third_party: "by a partner", support: "Support plan",
    consent_programme: "I agree to be contacted about the VIP programme", consent_marketing: "Send me offers",
    consent_third: "Share my data with partners", send: "Send", back: "Back", send_code: "Send me a code",
    code: "Code", signin: "Sign in", hello: "Hello", tier: "Tier", points: "Points", card: "Card",
    service: "Service", rewards: "Rewards", redemptions: "My redemptions", ticket: "Open a ticket",
    subject: "Subject", description: "Description", consents: "Consents", save: "Save",
    download: "Download my data", signout: "Sign out", redeem: "Redeem", invoices: "My invoices",
    paid: "paid", unpaid: "unpaid",
    received_vip: "Received: you qualify for VIP. ", received_not: "Received: you do not qualify for VIP today. ",
    code_sent: "If this email belongs to a member, a code is on its way.",
    signed_in: "Signed in.", signed_out: "Signed out.", saved: "Saved.", redeemed: "Redemption requested.",
    ticket_opened: "Ticket opened: ", none: "none", points_unit: "points", tries_left: " tries left.",
    wait: "Too many attempts. Try again in ", seconds: " seconds.", error: "Something went wrong: ",
    report_lost: "Report it lost", lost_warning: "The card is blocked at once and a new one is issued with the same tier.",
    lost_yes: "Block my card", cancel: "Cancel", new_card: "Card blocked. Your new card: ",
    follow: "Follow", state: "State", first_answer: "First answer", resolution: "Resolution",
    your_reply: "Your reply", send_reply: "Send reply", reopen: "Reopen the ticket",
    conversation: "Conversation", you: "You", team: "Our team",
    reply_sent: "Reply sent.", reopened: "Ticket reopened.", due_by: "due by ", done_at: "done at ",
    on_hold: "on hold while we wait for you",
    state_new: "new", state_open: "open", state_pending_customer: "waiting for your answer",
    state_escalated: "escalated", state_resolved: "resolved", state_closed: "closed",
    pay_by: "I will pay by", promise: "Promise to pay", promised: "Promise recorded: pay by ",
    promised_by: "promised by ",
    card_active: "active", card_suspended: "suspended", card_lost: "lost", card_replaced: "replaced",
    card_revoked: "revoked", card_expired: "expired",
  },
  es: {
    title: "Programa VIP", welcome: "Bienvenido", apply: "Solicitar el programa",
    login: "Entrar con un código", company: "Empresa o titular del contrato", your_name: "Su nombre",
    birth_date: "Fecha de nacimiento (opcional, para su beneficio de cumpleaños)",
    email: "Correo electrónico", phone: "Teléfono", segment: "Tipo de cliente", consumer: "Hogar", business: "Empresa",
    isp: "Proveedor de internet", plan: "Plan", amount: "Importe mensual (USD)", delivery: "Servicio prestado",
    direct: "por nosotros", third_party: "por un socio", support: "Plan de soporte",
    consent_programme: "Acepto que me contacten sobre el programa VIP", consent_marketing: "Envíenme ofertas",
    consent_third: "Compartir mis datos con socios", send: "Enviar", back: "Volver", send_code: "Enviarme un código",
    code: "Código", signin: "Entrar", hello: "Hola", tier: "Nivel", points: "Puntos", card: "Tarjeta",
    service: "Servicio", rewards: "Recompensas", redemptions: "Mis canjes", ticket: "Abrir un ticket",
    subject: "Asunto", description: "Descripción", consents: "Consentimientos", save: "Guardar",
    download: "Descargar mis datos", signout: "Salir", redeem: "Canjear", invoices: "Mis facturas",
    paid: "pagada", unpaid: "pendiente",
    received_vip: "Recibida: cumple los requisitos VIP. ", received_not: "Recibida: hoy no cumple los requisitos VIP. ",
    code_sent: "Si este correo pertenece a un socio, le llega un código.",
    signed_in: "Ha entrado.", signed_out: "Ha salido.", saved: "Guardado.", redeemed: "Canje solicitado.",
    ticket_opened: "Ticket abierto: ", none: "ninguno", points_unit: "puntos", tries_left: " intentos restantes.",
    wait: "Demasiados intentos. Vuelva a intentarlo en ", seconds: " segundos.", error: "Algo salió mal: ",
    report_lost: "Avisar de pérdida", lost_warning: "La tarjeta se bloquea al momento y se emite una nueva con el mismo nivel.",
    lost_yes: "Bloquear mi tarjeta", cancel: "Cancelar", new_card: "Tarjeta bloqueada. Su nueva tarjeta: ",
    follow: "Seguir", state: "Estado", first_answer: "Primera respuesta", resolution: "Resolución",
    your_reply: "Su respuesta", send_reply: "Enviar respuesta", reopen: "Reabrir el ticket",
    conversation: "Conversación", you: "Usted", team: "Nuestro equipo",
    reply_sent: "Respuesta enviada.", reopened: "Ticket reabierto.", due_by: "antes de ", done_at: "hecha el ",
    on_hold: "en espera de su respuesta",
    state_new: "nuevo", state_open: "abierto", state_pending_customer: "esperando su respuesta",
    state_escalated: "escalado", state_resolved: "resuelto", state_closed: "cerrado",
    pay_by: "Pagaré antes de", promise: "Compromiso de pago", promised: "Compromiso registrado: pago antes de ",
    promised_by: "comprometida para ",
    card_active: "activa", card_suspended: "suspendida", card_lost: "perdida", card_replaced: "sustituida",
    card_revoked: "anulada", card_expired: "caducada",
  },
};

let lang = (navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
let email = "";
let followed = null; // the ticket shown in #ticket-view
let lostCard = null; // the card offered to report lost
const $ = (selector) => document.querySelector(selector);
const t = (key) => TEXT[lang][key] || TEXT.en[key] || key;

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("button.lang").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang)));
}

function say(message) { $("#status").textContent = message; }

function show(id) {
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== id;
}

const token = () => sessionStorage.getItem("member-token");

// Calls the API; a problem document becomes an Error with its detail.
async function api(method, path, body, extraHeaders) {
  const headers = Object.assign({}, extraHeaders || {});
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token() && (path.startsWith("/api/v1/me") || path.startsWith("/api/v1/sessions/current"))) {
    headers.authorization = "Bearer " + token();
  }
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.detail) || response.statusText);
    error.status = response.status;
    error.problem = data;
    error.retryAfter = response.headers.get("retry-after");
    throw error;
  }
  return data;
}

function failed(error) {
  if (error.status === 429) return say(t("wait") + (error.retryAfter || "?") + t("seconds"));
  if (error.problem && error.problem.attempts_left !== undefined) {
    return say(error.message + " — " + error.problem.attempts_left + t("tries_left"));
  }
  say(t("error") + error.message);
}

async function apply(event) {
  event.preventDefault();
  const f = event.target.elements;
  const contact = { name: f.name.value || undefined, email: f.email.value || undefined, phone: f.phone.value || undefined };
  const body = {
    legal_name: f.legal_name.value,
    contact,
    facts: {
      segment: f.segment.value, plan_type: f.plan_type.value,
      monthly_plan_amount: { amount: f.amount.value, currency: "USD" },
      service_delivery: f.service_delivery.value, support_plan: f.support_plan.value,
    },
    consents: { programme: f.programme.checked, marketing: f.marketing.checked },
    birth_date: f.birth_date.value || undefined,
    language: lang,
  };
  try {
    const result = await api("POST", "/api/v1/applications", body);
    const box = $("#apply-result");
    box.hidden = false;
    box.textContent = (result.vip ? t("received_vip") : t("received_not")) + result.next_step;
    say(box.textContent);
  } catch (error) {
    if (error.problem && error.problem.errors) {
      say(error.problem.errors.map((e) => e.field + ": " + e.message).join("; "));
    } else failed(error);
  }
}

async function requestCode(event) {
  event.preventDefault();
  email = event.target.elements.email.value;
  try {
    await api("POST", "/api/v1/sessions/codes", { email });
    say(t("code_sent"));
    $("#signin-form").hidden = false;
    $("#signin-form input").focus();
  } catch (error) { failed(error); }
}

async function signIn(event) {
  event.preventDefault();
  try {
    const session = await api("POST", "/api/v1/sessions", { email, code: event.target.elements.code.value });
    sessionStorage.setItem("member-token", session.token);
    say(t("signed_in"));
    await loadMember();
  } catch (error) { failed(error); }
}

function button(label, onClick, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = t(label);
  if (className) b.className = className;
  b.addEventListener("click", onClick);
  return b;
}

// A time from the API in the reader's language.
const when = (text) => new Date(text).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });

function item(list, text, button) {
  const li = document.createElement("li");
  li.textContent = text;
  if (button) li.append(" ", button);
  list.append(li);
}

async function loadMember() {
  const me = await api("GET", "/api/v1/me");
  $("#member-name").textContent = me.contact.name || me.legal_name;
  $("#tier").textContent = me.tier || t("none");
  // An applicant not yet approved has no membership: no points, no cards.
  const points = await api("GET", "/api/v1/me/points").catch(() => null);
  $("#points").textContent = points ? points.balance + " " + t("points_unit") : t("none");
  await loadCard();
  const service = await api("GET", "/api/v1/me/service").catch(() => null);
  $("#service").textContent = service && service.status ? service.status : t("none");
  const rewards = await api("GET", "/api/v1/me/rewards?active=true").catch(() => ({ rewards: [] }));
  const list = $("#rewards");
  list.replaceChildren();
  for (const reward of rewards.rewards || []) {
    item(list, reward.reward.name + " — " + reward.reward.cost + " " + t("points_unit"),
      button("redeem", () => redeem(reward.id)));
  }
  await loadRedemptions();
  await loadTickets();
  await loadInvoices();
  const consents = await api("GET", "/api/v1/me/consents");
  for (const [purpose, given] of Object.entries(consents.current)) {
    const box = $("#consents-form").elements[purpose];
    if (box) box.checked = given;
  }
  show("member");
}

async function loadRedemptions() {
  const redemptions = await api("GET", "/api/v1/me/redemptions").catch(() => ({ redemptions: [] }));
  const list = $("#redemptions");
  list.replaceChildren();
  for (const r of redemptions.redemptions || []) item(list, "#" + r.id + " " + r.state);
}

async function loadCard() {
  const cards = await api("GET", "/api/v1/me/cards").catch(() => ({ cards: [] }));
  const card = cards.cards.find((c) => c.status === "active") || cards.cards[0];
  $("#card").textContent = card ? card.display + " (" + t("card_" + card.status) + ")" : t("none");
  lostCard = card && card.status === "active" ? card.number : null;
  $("#report-lost").hidden = !lostCard;
  $("#lost-confirm").hidden = true;
}

async function reportLost() {
  try {
    const result = await api("POST", "/api/v1/me/cards/" + lostCard + "/report-lost", undefined,
      { "idempotency-key": crypto.randomUUID() });
    await loadCard();
    say(t("new_card") + result.replacement.display);
  } catch (error) { failed(error); }
}

async function loadTickets() {
  const tickets = await api("GET", "/api/v1/me/tickets").catch(() => ({ tickets: [] }));
  const list = $("#tickets");
  list.replaceChildren();
  for (const ticket of tickets.tickets) {
    item(list, "#" + ticket.id + " " + ticket.subject + " — " + t("state_" + ticket.state),
      button("follow", () => followTicket(ticket.id).catch(failed), "secondary"));
  }
}

// One SLA clock as the member reads it: done, due, or on hold.
function clock(c) {
  if (c.met_at) return t("done_at") + when(c.met_at);
  return c.due ? t("due_by") + when(c.due) : t("on_hold");
}

async function followTicket(id) {
  const ticket = await api("GET", "/api/v1/me/tickets/" + id);
  followed = ticket.id;
  $("#ticket-view-title").textContent = "#" + ticket.id + " " + ticket.subject;
  $("#ticket-state").textContent = t("state_" + ticket.state);
  $("#ticket-first").textContent = clock(ticket.sla.first_response);
  $("#ticket-resolution").textContent = clock(ticket.sla.resolution);
  const conversation = await api("GET", "/api/v1/me/tickets/" + id + "/messages");
  const list = $("#ticket-messages");
  list.replaceChildren();
  for (const m of conversation.messages) {
    const li = document.createElement("li");
    li.className = m.side;
    const who = document.createElement("strong");
    who.textContent = (m.side === "customer" ? t("you") : t("team")) + " · " + when(m.at);
    const body = document.createElement("p");
    body.textContent = m.body;
    li.append(who, body);
    list.append(li);
  }
  const finished = ticket.state === "resolved" || ticket.state === "closed";
  $("#reply-form").hidden = finished;
  $("#reopen").hidden = !finished;
  $("#ticket-view").hidden = false;
}

// Sends `body` to the followed ticket, then shows it as it stands.
async function onTicket(path, body, done) {
  try {
    await api("POST", "/api/v1/me/tickets/" + followed + path, body, { "idempotency-key": crypto.randomUUID() });
    await followTicket(followed);
    await loadTickets();
    say(t(done));
    return true;
  } catch (error) { failed(error); return false; }
}

async function reply(event) {
  event.preventDefault();
  const field = event.target.elements.body;
  if (!field.value.trim()) return field.focus();
  if (await onTicket("/messages", { body: field.value }, "reply_sent")) event.target.reset();
}

async function loadInvoices() {
  const invoices = await api("GET", "/api/v1/me/invoices").catch(() => ({ invoices: [] }));
  const list = $("#invoices");
  list.replaceChildren();
  for (const i of invoices.invoices) {
    const promise = i.commitments.length ? " — " + t("promised_by") + i.commitments[i.commitments.length - 1].pay_by : "";
    const text = i.month + " — " + i.amount.amount + " " + i.amount.currency + " — " + (i.paid_at ? t("paid") : t("unpaid")) + promise;
    item(list, text, i.paid_at ? null : button("promise", () => offerPromise(i), "secondary"));
  }
  $("#promise-form").hidden = true;
}

// A promise is a date from today to the last day of the invoice's month.
function offerPromise(invoice) {
  const form = $("#promise-form");
  const [year, month] = invoice.month.split("-").map(Number);
  const last = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
  form.dataset.invoice = invoice.id;
  $("#promise-invoice").textContent = invoice.month + " — " + invoice.outstanding.amount + " " + invoice.outstanding.currency;
  form.elements.pay_by.min = new Date().toISOString().slice(0, 10);
  form.elements.pay_by.max = last;
  form.elements.pay_by.value = last;
  form.hidden = false;
  form.elements.pay_by.focus();
}

async function promise(event) {
  event.preventDefault();
  const form = event.target;
  try {
    await api("POST", "/api/v1/me/invoices/" + form.dataset.invoice + "/commitments", { pay_by: form.elements.pay_by.value });
    const date = form.elements.pay_by.value;
    await loadInvoices();
    say(t("promised") + date);
  } catch (error) { failed(error); }
}

async function redeem(rewardId) {
  try {
    await api("POST", "/api/v1/me/redemptions", { reward_id: rewardId }, { "idempotency-key": crypto.randomUUID() });
    say(t("redeemed"));
    await loadRedemptions();
  } catch (error) { failed(error); }
}

async function openTicket(event) {
  event.preventDefault();
  const f = event.target.elements;
  try {
    const ticket = await api("POST", "/api/v1/me/tickets",
      { kind: "question", channel: "web_form", subject: f.subject.value, description: f.description.value });
    await loadTickets();
    say(t("ticket_opened") + "#" + ticket.id);
    event.target.reset();
  } catch (error) { failed(error); }
}

async function saveConsents(event) {
  event.preventDefault();
  const f = event.target.elements;
  try {
    await api("PUT", "/api/v1/me/consents",
      { programme: f.programme.checked, marketing: f.marketing.checked, third_parties: f.third_parties.checked });
    say(t("saved"));
  } catch (error) { failed(error); }
}

async function download() {
  try {
    const data = await api("GET", "/api/v1/me/export");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    link.download = "vip-data-" + data.customer_id + ".json";
    link.id = "export-link";
    document.body.append(link);
    link.click();
  } catch (error) { failed(error); }
}

async function signOut() {
  await api("DELETE", "/api/v1/sessions/current").catch(() => null);
  sessionStorage.removeItem("member-token");
  say(t("signed_out"));
  show("welcome");
}

document.addEventListener("DOMContentLoaded", () => {
  translate();
  document.querySelectorAll("button.lang").forEach((b) => b.addEventListener("click", () => { lang = b.dataset.lang; translate(); }));
  document.querySelectorAll("button.back").forEach((b) => b.addEventListener("click", () => show("welcome")));
  $("#go-apply").addEventListener("click", () => show("apply"));
  $("#go-login").addEventListener("click", () => show("login"));
  $("#apply-form").addEventListener("submit", apply);
  $("#code-form").addEventListener("submit", requestCode);
  $("#signin-form").addEventListener("submit", signIn);
  $("#ticket-form").addEventListener("submit", openTicket);
  $("#consents-form").addEventListener("submit", saveConsents);
  $("#report-lost").addEventListener("click", () => { $("#lost-confirm").hidden = false; $("#lost-yes").focus(); });
  $("#lost-no").addEventListener("click", () => { $("#lost-confirm").hidden = true; });
  $("#lost-yes").addEventListener("click", reportLost);
  $("#reply-form").addEventListener("submit", reply);
  $("#reopen").addEventListener("click", () => onTicket("/events", { event: "reopen" }, "reopened"));
  $("#promise-form").addEventListener("submit", promise);
  $("#promise-cancel").addEventListener("click", () => { $("#promise-form").hidden = true; });
  $("#download").addEventListener("click", download);
  $("#signout").addEventListener("click", signOut);
  if (token()) loadMember().catch(() => { sessionStorage.removeItem("member-token"); show("welcome"); });
  else show("welcome");
});
