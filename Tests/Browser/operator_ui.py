"""Drives the operator UI in headless chromium (see ack_page.py for the set-up).

Usage: operator_ui.py <herald-base-url> <api-token> <subject-id> <screenshot-dir>
Signs in with the token, silences the subject's episode from its row, makes a second
silence with the silences page's form and expires it, looks a person up in the
directory, reads the audit log, signs out, and prints one JSON object describing what
it saw. On every page it measures the colour contrast of each piece of text against
the background it is drawn on (WCAG 2.x, from the browser's computed styles).
Exits non-zero on any failure.
"""
import json, os, sys
sys.dont_write_bytecode = True  # importing contrast.py leaves no __pycache__ in the tree
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from contrast import CONTRAST, FOCUSED

base, token, subject, shots = sys.argv[1:5]
options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,700"):
    options.add_argument(argument)
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
driver.set_page_load_timeout(40)
# Generous: the test machine may be busy. A page replaced while read is read again.
wait = WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,))
seen = {"contrast": {}}

def measure(page):
    seen["contrast"][page] = driver.execute_script(CONTRAST)

def shot(name):
    """A screenshot of the whole page (up to 2,400 px high): the viewport is made as
    tall as the page for it (a window cannot grow past the headless screen)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1100, "height": min(max(height, 700), 2400), "deviceScaleFactor": 1, "mobile": False})
    driver.save_screenshot(os.path.join(shots, name))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

def notice(previous=None):
    """The outcome line of the page a button led to (not the one still shown before it)."""
    def shown(d):
        found = d.find_elements(By.CSS_SELECTOR, "p.notice")
        return found and found[0].text != previous and found[0].text
    return wait.until(shown)

try:
    driver.get(base + "/ui/")
    seen["redirected_to"] = driver.current_url
    driver.save_screenshot(os.path.join(shots, "ui-sign-in.png"))
    measure("sign-in")
    seen["tab_order"] = []
    for _ in range(2):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        seen["tab_order"].append(driver.execute_script(FOCUSED))
    field = driver.find_element(By.ID, "token")
    seen["label"] = driver.find_element(By.CSS_SELECTOR, "label[for=token]").text
    field.send_keys(token)
    field.submit()
    wait.until(lambda d: d.find_elements(By.TAG_NAME, "table"))
    seen["title"] = driver.title
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if ("(%s)" % subject) in r.text)
    seen["row"] = row.text
    shot("ui-episodes.png")
    measure("episodes")
    # On a 360 px phone nothing is wider than the screen: wide tables scroll in their own box.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True})
    seen["phone_scroll_width"] = driver.execute_script("return document.documentElement.scrollWidth")
    seen["phone_viewport_width"] = driver.execute_script("return window.innerWidth")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    row.find_element(By.XPATH, ".//button[normalize-space()='Silence 1 h']").click()
    seen["notice"] = notice()

    # The silences page: the one just made is listed; make another with the form, expire it.
    driver.find_element(By.LINK_TEXT, "Silences").click()
    wait.until(lambda d: d.title.startswith("Silences"))
    seen["silences"] = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")]
    driver.find_element(By.ID, "subject").send_keys("p-other")
    driver.find_element(By.ID, "comment").send_keys("made in the browser")
    driver.find_element(By.XPATH, "//button[normalize-space()='Create silence']").click()
    seen["created"] = notice()
    shot("ui-silences.png")
    measure("silences")
    other = next(r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if "subject=p-other" in r.text)
    other.find_element(By.XPATH, ".//button[normalize-space()='Expire']").click()
    seen["expired"] = notice(previous=seen["created"])
    seen["silences_after"] = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")]

    # The directory: search, then open the person.
    driver.find_element(By.LINK_TEXT, "Directory").click()
    query = driver.find_element(By.ID, "q")
    query.send_keys("maya")
    query.submit()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "ul.matches a"))
    driver.find_element(By.CSS_SELECTOR, "ul.matches a").click()
    wait.until(lambda d: "(u-maya)" in d.find_element(By.TAG_NAME, "h1").text)
    seen["person"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["reach"] = [r.text for r in driver.find_elements(By.XPATH, "//h2[.='Rules that can reach them']/following::table[1]//tbody/tr")]
    shot("ui-directory.png")
    measure("directory")

    driver.find_element(By.LINK_TEXT, "Audit log").click()
    wait.until(lambda d: d.title.startswith("Audit log"))
    seen["audit_actions"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".kind-action")]
    shot("ui-audit.png")
    measure("audit")
    driver.find_element(By.LINK_TEXT, "Dead letters").click()
    wait.until(lambda d: d.title.startswith("Dead letters"))
    measure("dead-letters")

    driver.find_element(By.XPATH, "//nav//button[starts-with(normalize-space(), 'Sign out')]").click()
    wait.until(lambda d: d.find_elements(By.ID, "token"))
    seen["after_sign_out"] = driver.current_url
    driver.get(base + "/ui/")
    seen["after_sign_out_ui"] = driver.current_url
finally:
    driver.quit()
print(json.dumps(seen))
