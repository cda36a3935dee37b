"""Drives the acknowledge page in a real browser: Debian's chromium, headless, through
chromedriver with Selenium (scripts/install-deps installs all three).

Usage: ack_page.py <ack-link-url> <screenshot-dir>
Opens the link at a phone's width (360 px), checks the page, presses Acknowledge and
prints one JSON object describing what it saw. Exits non-zero on any failure.
Every wait is bounded; the browser is always quit.
"""
import json, os, sys
sys.dont_write_bytecode = True  # importing contrast.py leaves no __pycache__ in the tree
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from contrast import CONTRAST, FOCUSED

url, shots = sys.argv[1], sys.argv[2]
options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=360,780", "--force-device-scale-factor=1"):
    options.add_argument(argument)
# An explicit driver path: Selenium Manager would try to download one.
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
driver.set_page_load_timeout(40)
# Headless windows are at least 500 px wide: emulate the phone's screen instead.
driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                       {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True})
seen = {}
try:
    driver.get(url)
    seen["title"] = driver.title
    seen["heading"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["state_before"] = driver.find_element(By.CSS_SELECTOR, ".state").text
    # Nothing is wider than the phone's screen (no sideways scrolling).
    seen["scroll_width"] = driver.execute_script("return document.documentElement.scrollWidth")
    seen["viewport_width"] = driver.execute_script("return window.innerWidth")
    # Focus order: Tab from the top of the page reaches the buttons in reading order.
    seen["tab_order"] = []
    for _ in range(2):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        seen["tab_order"].append(driver.execute_script(FOCUSED))
    button = driver.find_element(By.XPATH, "//button[normalize-space()='Acknowledge']")
    # Keyboard users reach the button: it takes focus.
    button.send_keys("")
    seen["focused"] = driver.switch_to.active_element == button
    driver.save_screenshot(os.path.join(shots, "ack-page.png"))
    seen["contrast_before"] = driver.execute_script(CONTRAST)
    button.click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "p.notice"))
    seen["notice"] = driver.find_element(By.CSS_SELECTOR, "p.notice").text
    seen["state_after"] = driver.find_element(By.CSS_SELECTOR, ".state").text
    seen["url_after"] = driver.current_url
    seen["buttons_after"] = [b.text for b in driver.find_elements(By.TAG_NAME, "button")]
    driver.save_screenshot(os.path.join(shots, "ack-done.png"))
    seen["contrast_after"] = driver.execute_script(CONTRAST)
finally:
    driver.quit()
print(json.dumps(seen))
