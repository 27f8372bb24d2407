import re

from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import admin_login


def test_owner_invites_and_the_invitee_joins_with_a_new_account(page, demo, browser, live_server):
    admin_login(page, "owner")
    page.goto("/admin/merchants/staffinvitation/add/")
    page.fill("#id_email", "new.cashier@example.com")
    page.select_option("#id_role", label="Officer")
    page.click("input[name=_save]")
    expect(page.locator("#result_list")).to_contain_text("new.cashier@example.com")

    [message] = [m for m in mail.outbox if "new.cashier@example.com" in m.to]
    link = re.search(r"https?://\S+/staff/invitations/\S+/", message.body).group(0)
    path = link.split("/staff/", 1)[1]

    invitee = browser.new_context(base_url=live_server.url).new_page()
    refused = []
    invitee.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    invitee.goto(f"/staff/{path}")
    expect(invitee.locator("h1")).to_contain_text("Join")
    invitee.fill("#id_signup-username", "newcashier")
    invitee.fill("#id_signup-password1", "a-Long-pass-9876")
    invitee.fill("#id_signup-password2", "a-Long-pass-9876")
    invitee.click("text=Create my account and join")
    invitee.wait_for_url("**/admin/")
    expect(invitee.locator(".messagelist")).to_contain_text("You are now officer at")
    assert not refused
    invitee.context.close()
