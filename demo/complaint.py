"""The demo's complaint act: a citizen who never joined complains anonymously with a photo that
carries GPS data; the office accepts it in chat as an item; the unit reports completion, the
head confirms, the office closes it (销号); the citizen reads the answer with the receipt code.
"""

from __future__ import annotations

import io
import re

from PIL import Image

from demo.stage import TIMEOUT, Stage, has
from testbench import FakeUser

CITIZEN_ID = 720_000_001
CODE = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b")
TEXT = (
    "青石村村口到小学的路灯坏了三个月没人修。\n晚上孩子上晚自习回家很不安全，多次向村里反映无果。"
)


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (80, 60), (40, 40, 70))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 14.0, 22.5), 3: "E", 4: (121.0, 28.0, 11.25)})
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


async def _complain(citizen: FakeUser) -> str:
    await citizen.send_text("/complain")
    intro = await citizen.wait_message(has("匿名投诉"), timeout=TIMEOUT)
    await citizen.press(intro, "民生问题")
    place = await citizen.wait_message(has("第 2 步"), timeout=TIMEOUT)
    await citizen.press(place, "县住房和城乡建设局")
    await citizen.wait_message(has("第 3 步"), timeout=TIMEOUT)
    await citizen.send_text(TEXT)
    await citizen.wait_message(has("第 4 步"), timeout=TIMEOUT)
    await citizen.send_photo(_photo_with_gps())
    received = await citizen.wait_message(has("第 1 张"), timeout=TIMEOUT)
    await citizen.press(received, "完成")
    preview = await citizen.wait_message(has("请核对"), timeout=TIMEOUT)
    await citizen.press(preview, "✅ 提交")
    filed = await citizen.wait_message(has("查询码"), timeout=TIMEOUT)
    match = CODE.search(filed.plain_text)
    assert match is not None, filed.plain_text
    return match.group(1)


async def complaint(stage: Stage) -> None:
    """A complaint from an unregistered citizen, followed to its answer."""
    users = stage.users
    if not {"qian", "gaojing", "heyong"} <= users.keys():
        stage.narrate("Complaint act skipped: the example county's people have not joined")
        return
    qian, gaojing, heyong = users["qian"], users["gaojing"], users["heyong"]

    stage.narrate("A citizen who never joined complains anonymously, with a GPS-tagged photo")
    citizen = stage.fake.user(CITIZEN_ID, "热心群众")
    code = await _complain(citizen)

    stage.narrate("The office gets it without any sender, accepts it and picks the lead unit")
    notice = await qian.wait_message(has("新投诉", "路灯"), timeout=TIMEOUT)
    await qian.press(notice, "受理并交办")
    units = await qian.wait_message(has("请选择牵头单位"), timeout=TIMEOUT)
    await qian.press(units, "县住房和城乡建设局")
    accepted = await qian.wait_message(has("已受理"), timeout=TIMEOUT)
    item_code = accepted.plain_text.split("立项为 ")[1].split("，")[0]

    stage.narrate("The housing bureau acknowledges, reports completion; the head confirms")
    dispatch = await gaojing.wait_message(has(item_code), timeout=TIMEOUT)
    await gaojing.press(dispatch, "✅ 签收")
    await gaojing.wait_edit(dispatch, timeout=TIMEOUT)
    ref = "-".join(re.findall(r"\d+", item_code))  # 督〔2026〕2号 → 2026-2
    await gaojing.send_text(f"/report {ref}")
    menu = await gaojing.wait_message(has("请选择反馈类型"), timeout=TIMEOUT)
    await gaojing.press(menu, "办结报告")
    prompt = await gaojing.wait_message(has("请回复本消息"), timeout=TIMEOUT)
    await gaojing.send_text("已更换青石村路灯 12 盏，全部恢复夜间照明。", reply_to=prompt)
    preview = await gaojing.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=TIMEOUT)
    await gaojing.press(preview, "✅ 确认提交")
    request = await heyong.wait_message(has("请核签"), timeout=TIMEOUT)
    await heyong.press(request, "✅ 核签")

    stage.narrate("The office closes the item (销号); that closing answers the complaint")
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=TIMEOUT)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=TIMEOUT)
    await qian.press(question, "不回头看")
    await qian.wait_message(has("不安排回头看"), timeout=TIMEOUT)

    stage.narrate("The citizen checks with the receipt code and reads the answer")
    await citizen.send_text(f"/track {code}")
    await citizen.wait_message(has("已答复"), timeout=TIMEOUT)
