"""The authority matrix pressed from a work group: nobody gets more power in a group than their
own roster entry gives them. Every execution action, pressed on a message in the unit's group by
every role that must not do it (a member of another unit, a leader without the right, a stranger
who is in the group but not on the roster), is refused with an alert and nothing changes; the
right person can still act from the group."""

from __future__ import annotations

from tests.conftest import Bench
from tests.e2e.test_authority_execution import SORRY, STRANGER, matrix, snapshot


async def test_every_action_pressed_in_a_group_is_judged_by_the_presser(bench: Bench) -> None:
    rt = bench.rt
    m = await matrix(bench)
    users = m.users
    group = bench.fake.group(-5_000, "县教育局工作群", list(users.values()))
    group.add_bot(users["zhangjun"])
    await group.wait_message(lambda msg: "/bind" in msg.plain_text)
    await group.send_text(users["zhangjun"], "/bind edu")
    bound = await group.wait_message(lambda msg: "本群已绑定为" in msg.plain_text)

    refused = 0
    for action, data, allowed in m.table:
        for key, user in users.items():
            if key in allowed:
                continue
            before = await snapshot(rt)
            await group.press_data(user, bound, data)
            answer = await user.wait_callback_answer(timeout=10)
            assert answer.show_alert and answer.text, (action, key, answer)
            assert SORRY not in answer.text, (action, key, answer.text)
            if key == STRANGER:
                assert "花名册" in answer.text
            assert await snapshot(rt) == before, (action, key)
            refused += 1
    assert refused > 80

    # the office can act from the group, once
    await group.press_data(users["qian"], bound, f"exy:{m.r_ext}")
    assert "已同意延期" in ((await users["qian"].wait_callback_answer(timeout=10)).text or "")
    before = await snapshot(rt)
    await group.press_data(
        users["zhoujian"] if "zhoujian" in users else users["qian"], bound, f"exy:{m.r_ext}"
    )
    again = await users["qian"].wait_callback_answer(timeout=10)
    assert again.show_alert and "已处理" in (again.text or "")
    assert await snapshot(rt) == before
