// The member portal: apply, sign in with a one-time code, and the member's
// own data through /api/v1/me… with the member token (kept in this tab's
// sessionStorage only). No API key is ever in the page.
"use strict";

const TEXT = {
  en: {
    title: "VIP programme", welcome: "Welcome", apply: "Apply to the programme",
    login: "Sign in with a code", company: "Company or name on the contract", your_name: "Your name",
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
  },
  es: {
    title: "Programa VIP", welcome: "Bienvenido", apply: "Solicitar el programa",
    login: "Entrar con un código", company: "Empresa o titular del contrato", your_name: "Su nombre",
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
  },
};

let lang = (navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
let email = "";
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
  const cards = await api("GET", "/api/v1/me/cards").catch(() => ({ cards: [] }));
  $("#card").textContent = cards.cards.length ? cards.cards[0].number + " (" + cards.cards[0].status + ")" : t("none");
  const service = await api("GET", "/api/v1/me/service").catch(() => null);
  $("#service").textContent = service && service.status ? service.status : t("none");
  const rewards = await api("GET", "/api/v1/me/rewards?active=true").catch(() => ({ rewards: [] }));
  const list = $("#rewards");
  list.replaceChildren();
  for (const reward of rewards.rewards || []) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t("redeem");
    button.addEventListener("click", () => redeem(reward.id));
    item(list, reward.reward.name + " — " + reward.reward.cost + " " + t("points_unit"), button);
  }
  await loadRedemptions();
  await loadTickets();
  const invoices = await api("GET", "/api/v1/me/invoices").catch(() => ({ invoices: [] }));
  const invoiceList = $("#invoices");
  invoiceList.replaceChildren();
  for (const i of invoices.invoices) {
    item(invoiceList, i.month + " — " + i.amount.amount + " " + i.amount.currency + " — " + (i.paid_at ? t("paid") : t("unpaid")));
  }
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

async function loadTickets() {
  const tickets = await api("GET", "/api/v1/me/tickets").catch(() => ({ tickets: [] }));
  const list = $("#tickets");
  list.replaceChildren();
  for (const ticket of tickets.tickets) item(list, "#" + ticket.id + " " + ticket.subject + " — " + ticket.state);
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
  $("#download").addEventListener("click", download);
  $("#signout").addEventListener("click", signOut);
  if (token()) loadMember().catch(() => { sessionStorage.removeItem("member-token"); show("welcome"); });
  else show("welcome");
});
