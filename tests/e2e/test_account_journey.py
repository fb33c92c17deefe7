"""A visitor registers, signs out, signs in and switches language, in a real browser."""

import re

from playwright.sync_api import expect

PASSWORD = "journey-password-1"


def test_register_sign_in_and_switch_language(live_server, page):
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/ko/$"))  # Accept-Language ko-KR
    page.get_by_role("link", name="회원가입").first.click()

    page.get_by_label("이메일").fill("ceo@journey-robotics.kr")
    page.get_by_label("이름", exact=True).fill("박여정")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_label("기관 유형").select_option("startup")
    page.get_by_label("기관명(한국어)").fill("여정로보틱스")
    page.get_by_label("기관명(영어)").fill("Journey Robotics")
    page.get_by_label("사업자등록번호").fill("220-81-62517")
    page.get_by_role("button", name="회원가입").click()

    expect(page).to_have_url(re.compile(r"/ko/profile$"))
    expect(page.get_by_text("환영합니다!")).to_be_visible()
    page.get_by_role("button", name="로그아웃").click()
    expect(page.get_by_text("로그아웃했습니다.")).to_be_visible()

    page.get_by_role("link", name="로그인").first.click()
    page.get_by_label("이메일").fill("ceo@journey-robotics.kr")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(r"/ko/desk/$"))
    page.get_by_role("link", name="박여정").click()
    expect(page).to_have_url(re.compile(r"/ko/profile$"))

    page.locator("#lang-switch").click()
    expect(page).to_have_url(re.compile(r"/en/profile$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_text("Journey Robotics")).to_be_visible()
