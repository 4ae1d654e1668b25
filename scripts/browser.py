#!/usr/bin/env python3
"""The member portal's journeys in a real browser: Debian's chromium, headless,
at a phone's size, driven by Selenium through Debian's chromedriver (nothing is
downloaded). It starts the release spin-local on the real spin.toml with a
fresh state, and a test notification receiver where the notices component
delivers, so the one-time code is read as a member would get it: delivered.

Journeys: apply (a VIP application, then an invalid one), sign in with a code,
see tier, points, card, service and invoices, switch to Spanish, redeem a
reward, open a ticket and see it listed, change a consent, download my data,
sign out; then the operations dashboard (charts against the report API,
a CSV download, phone and laptop screenshots). Each saves a screenshot in
target/browser-report/. Ends with `browser: N passed, M failed`; exit 1 if any failed.
Run via scripts/browser.sh (scripts/test.sh does)."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz  # noqa: E402  (the host as the fuzzing runs it, and the test keys)

ROOT = fuzz.ROOT
REPORT = ROOT / "target/browser-report"
EMAIL = "marta@portal.test"


class Receiver(BaseHTTPRequestHandler):
    """The notification partner: keeps every notice delivered to it."""
    notices: list = []

    def do_POST(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int(self.rfile.readline().strip() or b"0", 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
        Receiver.notices.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def operator(base, role, method, path, body=None):
    """The API as an operator (a staff role's test key)."""
    key = dict(fuzz.ROLES)[role]
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"authorization": f"Bearer {key}", "content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def deliver_notices(host):
    """Fires the notices component once, as its schedule would."""
    env = {**os.environ, **fuzz.HOST_ENV}
    subprocess.run([str(ROOT / "target/release/spin-local"), "cron", "notices", "--from", "spin.toml",
                    "--state-dir", str(host.state)], cwd=ROOT, env=env, check=True, capture_output=True)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    REPORT.mkdir(parents=True, exist_ok=True)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not download anything
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    fuzz.HOST_ENV["SPIN_VARIABLE_NOTIFICATION_ORIGIN"] = f"http://127.0.0.1:{receiver.server_port}"
    host = fuzz.Host(REPORT)
    host.start()
    driver = browser()
    wait = WebDriverWait(driver, 15)
    results = []
    started = time.monotonic()

    def journey(name):
        def run(steps):
            began = time.monotonic()
            try:
                steps()
                results.append((name, True, ""))
            except Exception as e:  # noqa: BLE001 (a failed step is reported, the others still run)
                results.append((name, False, f"{type(e).__name__}: {e}".splitlines()[0]))
            finally:
                driver.save_screenshot(str(REPORT / f"{name}.png"))
                print(f"browser: {name:<10} {'ok' if results[-1][1] else 'FAILED ' + results[-1][2]} "
                      f"({time.monotonic() - began:.1f}s)", flush=True)
        return run

    status = lambda: driver.find_element(By.ID, "status").text  # noqa: E731
    visible = lambda selector: wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)))  # noqa: E731

    @journey("apply")
    def _():
        driver.get(host.url + "/portal/")
        visible("#go-apply").click()
        form = visible("#apply-form")
        for name, value in [("legal_name", "Marta Soluciones S.L."), ("name", "Marta"), ("email", EMAIL),
                            ("amount", "900.00")]:
            form.find_element(By.NAME, name).send_keys(value)
        Select(form.find_element(By.NAME, "segment")).select_by_value("isp")
        Select(form.find_element(By.NAME, "plan_type")).select_by_value("dedicated")
        Select(form.find_element(By.NAME, "support_plan")).select_by_value("gold")
        form.find_element(By.NAME, "programme").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        result = visible("#apply-result")
        assert "VIP" in result.text, result.text

    @journey("invalid")
    def _():
        form = driver.find_element(By.ID, "apply-form")
        form.find_element(By.NAME, "email").clear()
        form.find_element(By.NAME, "email").send_keys("not-an-email")
        form.find_element(By.NAME, "programme").click()  # consent withdrawn
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: "consents.programme" in status())
        assert "contact.email" in status(), status()

    @journey("signin")
    def _():
        driver.find_element(By.CSS_SELECTOR, "#apply button.back").click()
        visible("#go-login").click()
        form = visible("#code-form")
        form.find_element(By.NAME, "email").send_keys(EMAIL)
        form.find_element(By.CSS_SELECTOR, "button").click()
        visible("#signin-form")
        deliver_notices(host)
        codes = [n["data"]["notice"]["code"] for n in Receiver.notices if n.get("type") == "member.login_code"]
        assert codes, f"no login code delivered: {Receiver.notices}"
        signin = driver.find_element(By.ID, "signin-form")
        signin.find_element(By.NAME, "code").send_keys(codes[-1])
        signin.find_element(By.CSS_SELECTOR, "button").click()
        visible("#member")
        wait.until(lambda d: d.find_element(By.ID, "member-name").text == "Marta")
        assert driver.find_element(By.ID, "tier").text  # "none" until the application is approved

    @journey("spanish")
    def _():
        driver.find_element(By.CSS_SELECTOR, "button.lang[data-lang=es]").click()
        assert driver.find_element(By.TAG_NAME, "h1").text == "Programa VIP"
        assert driver.find_element(By.ID, "download").text == "Descargar mis datos"
        driver.find_element(By.CSS_SELECTOR, "button.lang[data-lang=en]").click()

    @journey("redeem")
    def _():
        customer = driver.execute_script(
            "return fetch('/api/v1/me', {headers: {authorization: 'Bearer ' + sessionStorage.getItem('member-token')}})"
            ".then(r => r.json()).then(m => m.customer_id)")
        # Operators approve the application (SOP-001), and yesterday's purchase earns redeemable points.
        cases = operator(host.url, "staff", "GET", "/api/v1/onboarding/cases?state=pending_review")["cases"]
        case = next(c["id"] for c in cases if c["customer_id"] == customer)
        operator(host.url, "customer_success", "POST", f"/api/v1/onboarding/cases/{case}/review")
        operator(host.url, "program_manager", "POST", f"/api/v1/onboarding/cases/{case}/approve")
        yesterday = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
        operator(host.url, "staff", "POST", f"/api/v1/members/{customer}/purchases",
                 {"purchase_id": "p-1", "amount": {"amount": "500.00", "currency": "USD"}, "at": yesterday})
        operator(host.url, "staff", "POST", "/api/v1/rewards", {"name": "Coffee", "kind": "experience", "cost": 100})
        month = time.strftime("%Y-%m", time.gmtime())
        operator(host.url, "staff", "POST", "/api/v1/invoices",
                 {"customer_id": customer, "month": month, "amount": {"amount": "45.00", "currency": "USD"}})
        driver.refresh()
        wait.until(lambda d: "points" in d.find_element(By.ID, "points").text)
        assert driver.find_element(By.ID, "tier").text != "none"
        assert "45.00 USD" in driver.find_element(By.ID, "invoices").text, driver.find_element(By.ID, "invoices").text
        button = visible("#rewards button")
        button.click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#redemptions li"))

    @journey("ticket")
    def _():
        form = driver.find_element(By.ID, "ticket-form")
        form.find_element(By.NAME, "subject").send_keys("The router blinks red")
        form.find_element(By.CSS_SELECTOR, "button").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tickets li"))
        assert "router" in driver.find_element(By.ID, "tickets").text.lower()

    @journey("follow")
    def _():
        # The member follows the ticket while the team asks, they answer, the team resolves and they reopen.
        driver.find_element(By.CSS_SELECTOR, "#tickets li button").click()
        title = visible("#ticket-view-title").text
        ticket = title.split()[0].lstrip("#")
        assert "router" in title.lower(), title
        assert driver.find_element(By.ID, "ticket-first").text.startswith("due by"), driver.find_element(By.ID, "ticket-first").text
        operator(host.url, "customer_success", "POST", f"/api/v1/tickets/{ticket}/events", {"event": "ask_customer"})
        driver.find_element(By.CSS_SELECTOR, "#tickets li button").click()
        wait.until(lambda d: d.find_element(By.ID, "ticket-state").text == "waiting for your answer")
        form = driver.find_element(By.ID, "reply-form")
        form.find_element(By.NAME, "body").send_keys("It blinks twice, then stays red")
        form.find_element(By.CSS_SELECTOR, "button").click()
        wait.until(lambda d: status() == "Reply sent.")
        assert driver.find_element(By.ID, "ticket-state").text == "open", driver.find_element(By.ID, "ticket-state").text
        # The team reads it in the conversation and answers; the member sees the answer, never the note.
        thread = operator(host.url, "customer_success", "GET", f"/api/v1/tickets/{ticket}/messages")["messages"]
        assert thread[-1]["body"] == "It blinks twice, then stays red", thread
        operator(host.url, "customer_success", "POST", f"/api/v1/tickets/{ticket}/messages",
                 {"body": "Line test booked", "visibility": "internal"})
        operator(host.url, "customer_success", "POST", f"/api/v1/tickets/{ticket}/messages",
                 {"body": "A technician calls you at 16:00"})
        driver.find_element(By.CSS_SELECTOR, "#tickets li button").click()
        wait.until(lambda d: "A technician calls you" in d.find_element(By.ID, "ticket-messages").text)
        assert "Line test booked" not in driver.find_element(By.ID, "ticket-messages").text
        operator(host.url, "customer_success", "POST", f"/api/v1/tickets/{ticket}/events", {"event": "resolve"})
        driver.find_element(By.CSS_SELECTOR, "#tickets li button").click()
        visible("#reopen").click()
        wait.until(lambda d: status() == "Ticket reopened.")
        assert driver.find_element(By.ID, "ticket-state").text == "open"

    @journey("lost")
    def _():
        old = driver.find_element(By.ID, "card").text
        assert "(active)" in old, old
        visible("#report-lost").click()
        visible("#lost-yes").click()
        wait.until(lambda d: status().startswith("Card blocked."))
        new = driver.find_element(By.ID, "card").text
        assert new != old and "(active)" in new and new.split(" (")[0] in status(), (old, new, status())

    @journey("promise")
    def _():
        driver.find_element(By.CSS_SELECTOR, "#invoices li button").click()
        form = visible("#promise-form")
        pay_by = form.find_element(By.NAME, "pay_by").get_attribute("value")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: status() == "Promise recorded: pay by " + pay_by)
        assert "promised by " + pay_by in driver.find_element(By.ID, "invoices").text

    @journey("consents")
    def _():
        form = driver.find_element(By.ID, "consents-form")
        form.find_element(By.NAME, "marketing").click()
        form.find_element(By.CSS_SELECTOR, "button").click()
        wait.until(lambda d: status() == "Saved.")
        driver.refresh()
        visible("#member")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#consents-form [name=marketing]").is_selected())

    @journey("download")
    def _():
        driver.find_element(By.ID, "download").click()
        link = wait.until(lambda d: d.find_element(By.ID, "export-link"))
        assert link.get_attribute("download").startswith("vip-data-"), link.get_attribute("download")

    @journey("signout")
    def _():
        driver.find_element(By.ID, "signout").click()
        visible("#welcome")
        assert driver.execute_script("return sessionStorage.getItem('member-token')") is None

    @journey("dashboard")
    def _():
        # The operations dashboard over the data the journeys above made, as
        # the programme manager, on the phone: each chart's bars are the
        # figures the report API answers for the same query.
        began = time.monotonic()
        driver.get(host.url + "/portal/dashboard.html")
        form = visible("#controls")
        form.find_element(By.NAME, "key").send_keys(dict(fuzz.ROLES)["program_manager"])
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true")
        print(f"browser: dashboard first load {time.monotonic() - began:.2f}s "
              f"(charts and summary {driver.find_element(By.TAG_NAME, 'body').get_attribute('data-load-ms')} ms)")
        charts = driver.find_elements(By.CSS_SELECTOR, "div.chart")
        assert len(charts) == 13, len(charts)
        opened = 0
        for chart in charts:
            report = chart.find_element(By.XPATH, "ancestor::section").get_attribute("data-report")
            figure, breakdown = chart.get_attribute("data-figure"), chart.get_attribute("data-breakdown")
            query = [(k, v) for k, v in urllib.parse.parse_qsl(chart.get_attribute("data-query"))
                     if k not in ("format", "figure", "breakdown")]
            answer = operator(host.url, "program_manager", "GET",
                              f"/api/v1/reports/{report}?{urllib.parse.urlencode(query)}")
            expected = {(line["period"], line["key"]): line["value"] for line in answer["lines"]
                        if line["figure"] == figure and line["breakdown"] == breakdown}
            drawn = {(b.get_attribute("data-period"), b.get_attribute("data-key")):
                     int(b.get_attribute("data-value")) if b.get_attribute("data-value") else None
                     for b in chart.find_elements(By.CSS_SELECTOR, ".bar")}
            assert drawn == expected, f"{report} {figure} by {breakdown}: drawn {drawn}, API {expected}"
            if figure == "tickets_opened":
                opened = sum(v or 0 for v in drawn.values())
        assert opened >= 1, "the ticket opened above is not on the dashboard"
        assert driver.find_elements(By.CSS_SELECTOR, "#summary-table tbody tr"), "no summary figures"
        # A CSV download, as the operator's browser saves it.
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(REPORT)})
        for old in REPORT.glob("support-*.csv"):
            old.unlink()
        driver.find_element(By.CSS_SELECTOR, "button.csv[data-report=support]").click()
        wait.until(lambda d: [f for f in REPORT.glob("support-*.csv")])
        saved = next(REPORT.glob("support-*.csv"))
        wait.until(lambda d: saved.stat().st_size > 0)
        assert saved.read_text().startswith("period,from,to,figure,breakdown,key,unit,value,part,whole,percent\n")
        driver.save_screenshot(str(REPORT / "dashboard-phone.png"))
        driver.set_window_size(1280, 900)
        driver.save_screenshot(str(REPORT / "dashboard-laptop.png"))
        driver.set_window_size(390, 844)

    driver.quit()
    host.stop()
    receiver.shutdown()
    failed = [r for r in results if not r[1]]
    print(f"browser: {time.monotonic() - started:.1f}s, screenshots in {REPORT}")
    print(f"browser: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
