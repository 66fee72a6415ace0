"""``duban document REF KIND [-o FILE]`` as a user runs it: a real process, the file it writes,
its one-line errors; a deployment template with a misspelt field stops the command."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from docx import Document as open_docx

from services.documents.shipped import SHIPPED
from tests.conftest import EXAMPLES, SHANGHAI
from tests.e2e.test_cli import duban


def county(tmp_path: Path) -> None:
    for args in (
        ("db", "upgrade"),
        ("roster", "import", str(EXAMPLES / "roster.yaml")),
        ("items", "import", str(EXAMPLES / "items.xlsx"), "--dispatch", "--confirm-load"),
    ):
        result = duban(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr


def test_document_writes_a_numbered_docx(tmp_path: Path) -> None:
    assert "KIND" in duban("document", "--help", cwd=tmp_path).stdout
    county(tmp_path)
    result = duban("document", "2026-1", "urging", "-o", "notice.docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "催办通知 催〔2026〕1号" in result.stdout
    text = "\n".join(p.text for p in open_docx(str(tmp_path / "notice.docx")).paragraphs)
    assert "催〔2026〕1号" in text
    again = duban("document", "2026-1", "register", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "督办事项办理情况登记表督登〔2026〕1号.docx").is_file()


def test_document_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    county(tmp_path)
    wrong_kind = duban("document", "2026-1", "memo", cwd=tmp_path)
    assert wrong_kind.returncode == 2 and "invalid choice" in wrong_kind.stderr
    unknown = duban("document", "2099-9", "urging", cwd=tmp_path)
    assert unknown.returncode == 1
    assert len(unknown.stderr.strip().splitlines()) == 1
    folder = tmp_path / "own"
    folder.mkdir()
    shutil.copy(SHIPPED / "talk.docx", folder / "talk.docx")
    from docx import Document as load

    doc = load(str(folder / "talk.docx"))
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            run.text = run.text.replace("{{ attend_by }}", "{{ atend_by }}")
    doc.save(str(folder / "talk.docx"))
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"documents:\n  templates: {folder}\n", encoding="utf-8")
    refused = duban(
        "document", "2026-1", "talk", cwd=tmp_path, env={"DUBAN_POLICY_FILE": str(policy)}
    )
    assert refused.returncode == 2
    assert "talk.docx" in refused.stderr and "'atend_by'" in refused.stderr


def test_document_report_writes_the_months_supervision_report(tmp_path: Path) -> None:
    helped = duban("document", "--help", cwd=tmp_path).stdout
    assert "--report YYYY-MM" in helped and "督查专报" in helped
    county(tmp_path)
    today = datetime.now(SHANGHAI).date()
    month = f"{today.year}-{today.month:02d}"
    result = duban("document", "--report", month, "-o", "report.docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"督查专报 督查专报〔{today.year}〕1号" in result.stdout
    doc = open_docx(str(tmp_path / "report.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{today.year}年{today.month}月督办事项办理情况专报" in text
    assert any("县教育局" in cell.text for t in doc.tables for r in t.rows for cell in r.cells)
    again = duban("document", "--report", month, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / f"督查专报〔{today.year}〕2号.docx").is_file()


def test_document_report_refuses_a_bad_month_naming_the_argument(tmp_path: Path) -> None:
    county(tmp_path)
    for bad in ("2026-13", "2026/11", "november"):
        refused = duban("document", "--report", bad, cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        assert "--report" in refused.stderr and "YYYY-MM" in refused.stderr
    later = datetime.now(SHANGHAI).year + 1
    future = duban("document", "--report", f"{later}-01", cwd=tmp_path)
    assert future.returncode == 1 and "--report" in future.stderr and "not begun" in future.stderr
    both = duban("document", "2026-1", "urging", "--report", "2026-11", cwd=tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr
    neither = duban("document", cwd=tmp_path)
    assert neither.returncode == 2 and "REF KIND" in neither.stderr
    assert not list(tmp_path.glob("督查专报*.docx"))
