from helpers import Chat, text_of


async def test_setup_makes_the_caller_coordinator(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", "coalition info")
    body = text_of(reply)
    assert "Eastside Tenants" in body
    assert "Coordinators\nAlice" in body
    assert "#1 Tenants United: 1 representative(s)" in body
