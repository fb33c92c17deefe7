from tests.conftest import login


def test_register_login_profile(client, make_user):
    user = make_user(kind="firm")
    login(client, user)
    page = client.get("/ko/profile")
    assert page.status_code == 200
    assert user.email in page.get_data(as_text=True)
