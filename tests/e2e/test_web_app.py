"""The web app in a real browser: Debian's Chromium, headless, driven through chromium-driver
(selenium), against the api and ingest instances, two consumers and the bank simulator.

A person signs up, links the bank's account with a link code, sees the rows appear after the
bank sends its webhooks, recategorises one and sees the month's chart change, sets a budget,
exports, and logs out — on a phone-sized window, with the keyboard where a form is sent.
Screenshots of every step are saved under the run's temporary folder; their paths are printed
at the end of the run (tests/e2e/conftest.py).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support.bank import SimulatedBank
from tests.support.stack import AppProcess, wait_until

PHONE = (412, 915)
# Headless, and quiet: this machine's network is closed, and Chromium's background services
# (updates, sync, metrics) would otherwise keep trying to reach theirs.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
                  "--password-store=basic")


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"none of {names} is installed: scripts/test installs chromium and chromium-driver", pytrace=False)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.add_argument(f"--window-size={PHONE[0]},{PHONE[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP violations
    driver = webdriver.Chrome(options=options, service=Service(executable_path=_binary("chromedriver")))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Shots:
    def __init__(self, driver: WebDriver, folder: Path, record: list[str]) -> None:
        self.driver, self.folder, self.record = driver, folder, record
        self.count = 0

    def take(self, name: str, showing: str | None = None) -> None:
        """A screenshot, scrolled to the element `showing` (an id) when given."""
        if showing is not None:
            self.driver.execute_script("arguments[0].scrollIntoView()", self.driver.find_element(By.ID, showing))
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        self.record.append(str(path))


def _text(driver: WebDriver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def _chart(driver: WebDriver) -> str:
    """What the chart says (its SVG description: category and spend of each bar)."""
    found = driver.find_elements(By.CSS_SELECTOR, "#chart desc")
    return found[0].get_attribute("textContent") or "" if found else ""


def _row_text(driver: WebDriver, row_id: str | None) -> str:
    """The text of the listed row (the list is re-read after "apply to past": found anew)."""
    try:
        found = driver.find_elements(By.CSS_SELECTOR, f'#transactions li[data-id="{row_id}"]')
        return found[0].text.strip() if found else ""
    except StaleElementReferenceException:
        return ""


def _rows(driver: WebDriver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, "#transactions li"))


def _refreshed_rows(driver: WebDriver, wanted: int) -> int:
    try:
        driver.find_element(By.ID, "refresh").click()
        return wait_until(lambda: _rows(driver) >= wanted and _rows(driver), timeout=3, interval=0.3,
                          message="rows")
    except (AssertionError, StaleElementReferenceException):
        return 0


def test_a_person_signs_up_links_sees_rows_recategorises_budgets_and_logs_out(
        browser: WebDriver, api: AppProcess, bank: SimulatedBank, consumers: list[AppProcess],
        tmp_path_factory: pytest.TempPathFactory, screenshots: list[str]) -> None:
    shots = Shots(browser, tmp_path_factory.mktemp("screenshots"), screenshots)
    browser.get(f"{api.url}/app/")
    assert browser.title == "Tally"
    shots.take("start")

    email = f"web-{uuid.uuid4().hex[:10]}@example.com"
    browser.find_element(By.ID, "signup-name").send_keys("Web Person")
    browser.find_element(By.ID, "signup-email").send_keys(email)
    browser.find_element(By.ID, "signup-password").send_keys("correct horse battery")
    zone = browser.find_element(By.ID, "signup-zone")
    zone.clear()
    zone.send_keys("UTC", Keys.ENTER)  # the keyboard sends the form
    wait_until(lambda: browser.find_element(By.ID, "app").is_displayed(), message="the app after sign-up")
    wait_until(lambda: email in _text(browser, "who"), message="the profile read")  # the app shows before it
    shots.take("signed-up")

    account = f"DE-{uuid.uuid4().hex[:12]}"
    browser.find_element(By.ID, "link-partner").clear()
    browser.find_element(By.ID, "link-partner").send_keys(bank.partner.partner_id)
    browser.find_element(By.ID, "link-code").send_keys(bank.link_code(account), Keys.ENTER)
    wait_until(lambda: account in _text(browser, "accounts"), message="the linked account listed")
    shots.take("linked")

    sent = requests.post(f"{bank.sim.url}/sim/send", json={"accounts": [account], "count": 12, "rate": 20,
                                                           "batch_size": 6}, timeout=10)
    assert sent.status_code == 202, sent.text
    wait_until(lambda: _refreshed_rows(browser, 12), timeout=60, interval=0.5, message="12 rows after the webhooks")
    shots.take("rows", showing="transactions-title")

    before = wait_until(lambda: _chart(browser), message="the chart")
    first = browser.find_elements(By.CSS_SELECTOR, "#transactions li")[0]
    category = Select(first.find_element(By.TAG_NAME, "select"))
    target = "travel" if category.first_selected_option.get_attribute("value") != "travel" else "education"
    category.select_by_value(target)
    first.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()  # apply to past
    row_id = first.get_attribute("data-id")
    first.find_element(By.TAG_NAME, "button").click()
    wait_until(lambda: _row_text(browser, row_id).endswith("user"), message="the row recategorised (source user)")
    after = wait_until(lambda: _chart(browser) != before and _chart(browser), message="the chart to change")
    assert ("Travel" if target == "travel" else "Education") in after
    shots.take("recategorised", showing="chart-title")

    Select(browser.find_element(By.ID, "budget-category")).select_by_value(target)
    browser.find_element(By.ID, "budget-amount").send_keys("1.00")
    currency = browser.find_element(By.ID, "budget-currency")
    currency.clear()
    currency.send_keys("EUR", Keys.ENTER)
    budget = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, f"#budgets li[data-category={target}]"),
                        message="the budget listed")[0]
    assert "of 1.00 EUR" in budget.text
    assert budget.find_element(By.TAG_NAME, "progress").get_attribute("max") == "100"
    shots.take("budget", showing="budgets-title")

    browser.find_element(By.ID, "export-submit").click()
    wait_until(lambda: browser.find_element(By.ID, "download").is_displayed(), message="the export's link")
    shots.take("exported")

    browser.set_window_size(1280, 1000)
    shots.take("desktop")
    browser.set_window_size(*PHONE)
    browser.find_element(By.ID, "logout").click()
    wait_until(lambda: browser.find_element(By.ID, "auth").is_displayed(), message="the login form after logout")
    assert "logged out" in _text(browser, "status")
    assert not browser.find_element(By.ID, "app").is_displayed()
    assert _text(browser, "error") == ""
    shots.take("logged-out")
    errors = [entry for entry in browser.get_log("browser") if entry.get("level") == "SEVERE"]
    assert errors == [], errors  # no script error, no CSP violation


def test_the_page_is_served_with_a_strict_policy_and_the_files_only(api: AppProcess) -> None:
    page = requests.get(f"{api.url}/app/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script " not in page.text.replace('<script type="module" src="/app/app.js"></script>', "")
    script = requests.get(f"{api.url}/app/app.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript")
    for missing in ("/app/nope.js", "/app/..%2fapi%2fweb.py", "/app/.env"):
        answer = requests.get(f"{api.url}{missing}", timeout=10)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found", missing
