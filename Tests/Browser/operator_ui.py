"""Drives the operator UI in headless chromium (see ack_page.py for the set-up).

Usage: operator_ui.py <herald-base-url> <api-token> <subject-id> <screenshot-dir>
Signs in with the token, silences the subject's episode from its row, signs out, and
prints one JSON object describing what it saw. Exits non-zero on any failure.
"""
import json, os, sys
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, token, subject, shots = sys.argv[1:5]
options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,700"):
    options.add_argument(argument)
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
driver.set_page_load_timeout(20)
wait = WebDriverWait(driver, 15)
seen = {}
try:
    driver.get(base + "/ui/")
    seen["redirected_to"] = driver.current_url
    driver.save_screenshot(os.path.join(shots, "ui-sign-in.png"))
    field = driver.find_element(By.ID, "token")
    seen["label"] = driver.find_element(By.CSS_SELECTOR, "label[for=token]").text
    field.send_keys(token)
    field.submit()
    wait.until(lambda d: d.find_elements(By.TAG_NAME, "table"))
    seen["title"] = driver.title
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if ("(%s)" % subject) in r.text)
    seen["row"] = row.text
    driver.save_screenshot(os.path.join(shots, "ui-episodes.png"))
    row.find_element(By.XPATH, ".//button[normalize-space()='Silence 1 h']").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "p.notice"))
    seen["notice"] = driver.find_element(By.CSS_SELECTOR, "p.notice").text
    driver.find_element(By.XPATH, "//nav//button[starts-with(normalize-space(), 'Sign out')]").click()
    wait.until(lambda d: d.find_elements(By.ID, "token"))
    seen["after_sign_out"] = driver.current_url
    driver.get(base + "/ui/")
    seen["after_sign_out_ui"] = driver.current_url
finally:
    driver.quit()
print(json.dumps(seen))
